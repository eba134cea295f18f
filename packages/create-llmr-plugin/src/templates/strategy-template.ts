/**
 * The files of a routing-strategy plugin: a strategy that prefers the cheapest model
 * whose time to first token fits a budget, and falls back to the fastest ones. Strategies
 * are typed by @llmr/router (its `RoutingStrategy`, `CandidateView`), so the package takes
 * @llmr/router as an optional peer for its types only: nothing of the router is imported
 * at run time, and the host that loads the plugin (`llmr serve`) brings the router.
 */
import type { PluginNames } from '../plugin-names';

export function strategyFiles(names: PluginNames): Record<string, string> {
  const { loaderName: strategyName, pascalName } = names;
  const factoryName = `create${pascalName}Strategy`;
  const instanceName = `${pascalName[0]!.toLowerCase()}${pascalName.slice(1)}Strategy`;
  return {
    'src/index.ts': `import { ${factoryName} } from './strategy.js';

export { ${factoryName}, DEFAULT_MAX_TTFT_MS, type StrategyOptions } from './strategy.js';

/** The default instance. Export \`${factoryName}({ maxTtftMs })\` instead to change its budget. */
export const ${instanceName} = ${factoryName}();

/** What \`llmr serve --plugin\` registers: a route names it with \`strategy: ${strategyName}\`. */
export const strategies = [${instanceName}];
export default { strategies };
`,
    'src/strategy.ts': `/**
 * A routing strategy: among the candidates whose time to first token (live median, or
 * the config's \`speed.ttftMs\` prior) fits the budget, the cheapest for this request
 * first; then the others, fastest first (unknown speed last). Every candidate comes back,
 * best first: the router tries them in that order and falls back down the list.
 */
import { InvalidArgumentError } from '@llmr/core';
import type { CandidateView, RankedCandidate, RoutingStrategy } from '@llmr/router';

/** The default time-to-first-token budget, in milliseconds. */
export const DEFAULT_MAX_TTFT_MS = 1000;

export interface StrategyOptions {
  /** Candidates at most this slow to their first token count as fast enough. */
  maxTtftMs?: number;
}

const withinBudget = (candidate: CandidateView, maxTtftMs: number) =>
  candidate.ttftMs !== undefined && candidate.ttftMs <= maxTtftMs;

/** Whether \`a\` goes before \`b\` in \`rank\`'s order (what \`select\` needs). */
function before(a: CandidateView, b: CandidateView, maxTtftMs: number): boolean {
  const fast = withinBudget(a, maxTtftMs);
  if (fast !== withinBudget(b, maxTtftMs)) return fast;
  const difference = fast
    ? a.estimatedCostUsd - b.estimatedCostUsd
    : (a.ttftMs ?? Number.POSITIVE_INFINITY) - (b.ttftMs ?? Number.POSITIVE_INFINITY);
  return difference < 0 || (!(difference > 0) && a.order < b.order);
}

export function ${factoryName}(options: StrategyOptions = {}): RoutingStrategy {
  const maxTtftMs = options.maxTtftMs ?? DEFAULT_MAX_TTFT_MS;
  if (typeof maxTtftMs !== 'number' || !Number.isFinite(maxTtftMs) || maxTtftMs <= 0) {
    throw new InvalidArgumentError({
      argument: '${strategyName}.maxTtftMs',
      value: maxTtftMs,
      message: \`maxTtftMs must be a positive number of milliseconds; got \${String(maxTtftMs)}.\`,
    });
  }
  return {
    name: '${strategyName}',
    // It reads nothing but its candidates: the router may rank once and reuse the result
    // until a model's numbers change.
    pure: true,
    rank(candidates): RankedCandidate[] {
      const fast = candidates
        .filter((candidate) => withinBudget(candidate, maxTtftMs))
        .sort((a, b) => a.estimatedCostUsd - b.estimatedCostUsd || a.order - b.order);
      const slow = candidates
        .filter((candidate) => !withinBudget(candidate, maxTtftMs))
        .sort(
          (a, b) =>
            (a.ttftMs ?? Number.POSITIVE_INFINITY) - (b.ttftMs ?? Number.POSITIVE_INFINITY) ||
            a.order - b.order,
        );
      const ranked = [...fast, ...slow];
      return ranked.map((candidate, index) => ({
        modelId: candidate.modelId,
        // Best first, in (0, 1]: the router orders by position, people read the score.
        score: 1 - index / ranked.length,
        details: {
          withinBudget: withinBudget(candidate, maxTtftMs),
          estimatedCostUsd: candidate.estimatedCostUsd,
          ttftMs: candidate.ttftMs ?? 'unknown',
        },
      }));
    },
    // Optional: the winner in one pass. Most requests run only their first candidate, so
    // the router calls this and asks rank() for the whole order only when it needs more
    // (a fallback, the explanations). It must pick what rank() puts first.
    select(candidates) {
      let best = 0;
      for (let index = 1; index < candidates.length; index++)
        if (before(candidates[index]!, candidates[best]!, maxTtftMs)) best = index;
      return { best };
    },
  };
}
`,
    'src/strategy.test.ts': `/**
 * The strategy on candidates as the router hands them over, checked for what the router
 * relies on (every candidate back exactly once, best first) and for its own ordering.
 * Runs under node:test: \`npm test\`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LlmrError } from '@llmr/core';
import type { CandidateView, StrategyContext } from '@llmr/router';
import { ${factoryName}, strategies } from './index.js';

function candidate(modelId: string, order: number, fields: Partial<CandidateView>): CandidateView {
  return {
    modelId,
    order,
    capabilities: ['chat', 'completion'],
    contextLength: 4096,
    quality: 0.5,
    estimatedCostUsd: 0,
    weight: 1,
    inFlight: 0,
    loaded: true,
    circuit: 'closed',
    errorRate: 0,
    samples: 0,
    ...fields,
  };
}

const context: StrategyContext = {
  request: { model: 'auto', prompt: 'Hello' } as StrategyContext['request'],
  promptTokens: 2,
  expectedOutputTokens: 16,
  random: () => 0.5,
  now: 0,
  routeSettings: {},
  state: new Map(),
};

const candidates = [
  candidate('fast-expensive', 0, { ttftMs: 100, estimatedCostUsd: 0.01 }),
  candidate('slow-cheap', 1, { ttftMs: 5000, estimatedCostUsd: 0.0001 }),
  candidate('fast-cheap', 2, { ttftMs: 300, estimatedCostUsd: 0.001 }),
  candidate('unknown', 3, { estimatedCostUsd: 0 }),
  candidate('slower', 4, { ttftMs: 2000, estimatedCostUsd: 0.002 }),
];

describe('${strategyName} strategy', () => {
  it('returns every candidate exactly once, best first', () => {
    const ranked = ${factoryName}().rank(candidates, context);
    assert.deepEqual(
      ranked.map((entry) => entry.modelId).sort(),
      candidates.map((entry) => entry.modelId).sort(),
    );
    for (let index = 1; index < ranked.length; index++)
      assert.ok(ranked[index - 1]!.score > ranked[index]!.score, 'scores must fall down the list');
  });

  it('puts the cheapest fast-enough model first, then the rest fastest first', () => {
    const ranked = ${factoryName}().rank(candidates, context);
    assert.deepEqual(
      ranked.map((entry) => entry.modelId),
      ['fast-cheap', 'fast-expensive', 'slower', 'slow-cheap', 'unknown'],
    );
    assert.equal(ranked[0]!.details.withinBudget, true);
    assert.equal(ranked[4]!.details.ttftMs, 'unknown');
  });

  it('selects what rank puts first (the router calls select on every request)', () => {
    for (const maxTtftMs of [250, 1000, 2500]) {
      const strategy = ${factoryName}({ maxTtftMs });
      for (let start = 0; start < candidates.length; start++) {
        const turned = [...candidates.slice(start), ...candidates.slice(0, start)];
        const selection = strategy.select!(turned, context);
        assert.equal(turned[selection.best]!.modelId, strategy.rank(turned, context)[0]!.modelId);
      }
    }
  });

  it('takes its budget from options', () => {
    const ranked = ${factoryName}({ maxTtftMs: 2500 }).rank(candidates, context);
    assert.deepEqual(ranked.slice(0, 2).map((entry) => entry.modelId), ['fast-cheap', 'slower']);
  });

  it('refuses a budget that cannot work, with an LlmrError that says why', () => {
    for (const maxTtftMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => ${factoryName}({ maxTtftMs }),
        (error: unknown) =>
          LlmrError.isInstance(error) &&
          error.code === 'invalid-argument' &&
          /maxTtftMs must be a positive number/.test(error.message),
      );
    }
  });

  it('is what the plugin exports for llmr serve', () => {
    assert.equal(strategies.length, 1);
    assert.equal(strategies[0]!.name, '${strategyName}');
    assert.equal(typeof strategies[0]!.rank, 'function');
  });
});
`,
  };
}

export function strategyReadme(names: PluginNames): string {
  const { packageName, loaderName: strategyName, pascalName } = names;
  return `# ${packageName}

An llmr routing strategy, \`${strategyName}\`: among the candidates whose time to first
token (live median, or the config's \`speed.ttftMs\`) fits a budget (1000 ms by default),
the cheapest for the request first; then the others, fastest first. Every candidate is
returned, best first, so the router falls back down the list.

## Install

\`\`\`sh
npm install ${packageName}
\`\`\`

Strategies are typed by \`@llmr/router\` (\`RoutingStrategy\`, \`CandidateView\`): it is an
optional peer dependency of this package, used for types only. The host that loads the
plugin (\`llmr serve\`, or your program's \`createRouter\`) brings the router.

## Use

\`\`\`yaml
plugins: [${packageName}]
models:
  - { id: small, source: ./small.gguf, speed: { ttftMs: 150 }, pricing: { input: 0.1, output: 0.1 } }
  - { id: large, source: ./large.gguf, speed: { ttftMs: 600 }, pricing: { input: 0.5, output: 0.5 } }
routes:
  chat: { models: [small, large], strategy: ${strategyName} }
\`\`\`

Or in code: \`createRouter({ strategies: [create${pascalName}Strategy({ maxTtftMs: 500 })], ... })\`.

## Develop

\`npm test\` builds with \`tsc\` and runs \`src/strategy.test.ts\` under \`node:test\`. Change the
ordering in \`src/strategy.ts\`; keep returning every candidate exactly once.

## Limits

A strategy only orders the candidates the router gives it (capability, breaker and
budget filters have already run); it cannot add models or change a request.
`;
}
