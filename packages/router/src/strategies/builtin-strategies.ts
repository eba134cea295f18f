import type { RoutingStrategy } from '../types';
import { balancedStrategy } from './balanced-strategy';
import { costOptimizedStrategy } from './cost-optimized-strategy';
import { fallbackChainStrategy } from './fallback-chain-strategy';
import { leastLoadedStrategy } from './least-loaded-strategy';
import { qualityFirstStrategy } from './quality-first-strategy';
import { roundRobinStrategy } from './round-robin-strategy';
import { speedPriorityStrategy } from './speed-priority-strategy';
import { weightedRandomStrategy } from './weighted-random-strategy';

export const builtinStrategies: readonly RoutingStrategy[] = [
  balancedStrategy,
  qualityFirstStrategy,
  costOptimizedStrategy,
  speedPriorityStrategy,
  leastLoadedStrategy,
  roundRobinStrategy,
  weightedRandomStrategy,
  fallbackChainStrategy,
];
