/** Spending per route over a sliding window, for budgets that refuse or downgrade when spent. */
import type { Clock } from '../clock';

export class BudgetTracker {
  private readonly spending = new Map<string, { time: number; usd: number }[]>();

  constructor(private readonly clock: Clock) {}

  record(route: string, usd: number): void {
    if (usd <= 0) return;
    const list = this.spending.get(route) ?? [];
    list.push({ time: this.clock.now(), usd });
    this.spending.set(route, list);
  }

  /** USD spent on the route within the last `windowMs`. */
  spent(route: string, windowMs: number): number {
    const list = this.spending.get(route);
    if (!list) return 0;
    const since = this.clock.now() - windowMs;
    while (list.length > 0 && list[0]!.time <= since) list.shift();
    return list.reduce((sum, item) => sum + item.usd, 0);
  }

  /** When the oldest spending in the window leaves it: a hint for retrying after a refusal. */
  nextRelease(route: string, windowMs: number): number | undefined {
    const oldest = this.spending.get(route)?.[0];
    return oldest ? oldest.time + windowMs - this.clock.now() : undefined;
  }
}
