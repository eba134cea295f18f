/** Spending per route over a sliding window, for budgets that refuse or downgrade when spent. */
import type { Clock } from '../clock';

export class BudgetTracker {
  private readonly spending = new Map<string, { time: number; usd: number }[]>();

  constructor(private readonly clock: Clock) {}

  /** Size of the spending log of a route (for tests of its bound). */
  entries(route: string): number {
    return this.spending.get(route)?.length ?? 0;
  }

  /**
   * Records spending against a route's budget window. Entries older than the window are
   * dropped here too, not only when the budget is read, so a route whose budget is rarely
   * checked cannot grow its log without bound.
   */
  record(route: string, usd: number, windowMs: number): void {
    if (usd <= 0) return;
    const list = this.spending.get(route) ?? [];
    const now = this.clock.now();
    list.push({ time: now, usd });
    let expired = 0;
    while (expired < list.length && list[expired]!.time <= now - windowMs) expired++;
    if (expired > 0) list.splice(0, expired);
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
