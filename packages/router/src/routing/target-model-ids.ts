/** The models a requested name can be served by: the model itself, or a route's (or auto's) candidates. */
import type { RouterRuntime } from '../router-runtime';
import { resolveTarget } from './resolve-target';

export function targetModelIds(runtime: RouterRuntime, target: string): string[] {
  const resolution = resolveTarget(runtime, target);
  if (resolution.kind === 'model') return [resolution.target];
  const slots =
    resolution.kind === 'route'
      ? (runtime.routeSlots.get(resolution.target) ?? runtime.allSlots)
      : runtime.allSlots;
  return slots.map((slot) => slot.id);
}
