/**
 * Budget periods (UTC days and calendar months) and the words a refusal or an alert uses.
 */
import type { Budget } from './policy';

export function periodStart(period: Budget['period'], now: number): number {
  const date = new Date(now);
  return period === 'day'
    ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate())
    : Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

export function periodEnd(period: Budget['period'], now: number): number {
  const date = new Date(now);
  return period === 'day'
    ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1)
    : Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** `usd-per-day`, `tokens-per-month`, ... */
export function budgetName(budget: Budget): string {
  return `${budget.metric}-per-${budget.period}`;
}

export function budgetLimitUnits(budget: Budget): number {
  return budget.metric === 'usd' ? Math.round(budget.limit * 1e6) : budget.limit;
}

export function describeAmount(budget: Budget, units: number): string {
  return budget.metric === 'usd'
    ? `$${(units / 1e6).toFixed(6).replace(/\.?0+$/, '')}`
    : `${units} tokens`;
}
