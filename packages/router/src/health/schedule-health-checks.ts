/**
 * Periodic health checks on the config's interval. A timer is re-armed only after the
 * previous round finished, and only while the same settings are in force, so a reload
 * or dispose stops the old schedule.
 */
import type { RouterRuntime } from '../router-runtime';
import { checkHealth } from './check-health';

export function scheduleHealthChecks(runtime: RouterRuntime): void {
  const { clock } = runtime;
  if (runtime.healthTimer !== undefined) clock.clearTimeout(runtime.healthTimer);
  runtime.healthTimer = undefined;
  const settings = runtime.config.healthCheck;
  if (!settings || runtime.disposed) return;
  const tick = () => {
    runtime.healthTimer = undefined;
    void checkHealth(runtime).finally(() => {
      if (!runtime.disposed && runtime.config.healthCheck === settings)
        runtime.healthTimer = clock.setTimeout(tick, settings.intervalMs, { background: true });
    });
  };
  runtime.healthTimer = clock.setTimeout(tick, settings.intervalMs, { background: true });
}
