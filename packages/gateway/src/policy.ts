/**
 * What a tenant or a key may do: which models, how fast, how many at once, how much.
 * A key is bound by its own policy and by its tenant's, both. Policies arrive from JSON
 * (admin API, CLI, config), so `parsePolicy` checks every field and names the bad one.
 */
import { InvalidArgumentError } from '@llmr/core';

export const SCOPES = ['admin', 'inference', 'metrics'] as const;
export type Scope = (typeof SCOPES)[number];

export type BudgetMetric = 'usd' | 'tokens';
export type BudgetPeriod = 'day' | 'month';

export interface Budget {
  metric: BudgetMetric;
  period: BudgetPeriod;
  /** US dollars or tokens per period (UTC days and calendar months). */
  limit: number;
  /** `hard` refuses requests once spent (HTTP 402); `soft` only raises an alert. Default hard. */
  enforcement?: 'hard' | 'soft';
}

export interface Policy {
  /** Model names, aliases or globs (`gpt-*`, `local/?b`) this may call; any model when absent. */
  models?: string[];
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  maxParallel?: number;
  budgets?: Budget[];
}

const MAX_MODELS = 256;
const MAX_BUDGETS = 16;
const MAX_PATTERN_LENGTH = 256;

function fail(path: string, value: unknown, message: string): never {
  throw new InvalidArgumentError({ argument: path, value, message: `${path}: ${message}` });
}

function positiveInteger(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(path, value, `expected a whole number >= 0, got ${JSON.stringify(value)}.`);
  }
  return value;
}

export function parsePolicy(input: unknown, path = 'policy'): Policy {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) fail(path, input, 'expected an object.');
  const record = input as Record<string, unknown>;
  const known = new Set([
    'models',
    'requestsPerMinute',
    'tokensPerMinute',
    'maxParallel',
    'budgets',
  ]);
  for (const key of Object.keys(record)) {
    if (!known.has(key))
      fail(
        `${path}.${key}`,
        record[key],
        `unknown field; expected one of ${[...known].join(', ')}.`,
      );
  }
  const policy: Policy = {};
  if (record.models !== undefined) {
    const models = record.models;
    if (!Array.isArray(models) || models.length > MAX_MODELS) {
      fail(
        `${path}.models`,
        models,
        `expected a list of at most ${MAX_MODELS} model names or globs.`,
      );
    }
    policy.models = models.map((model, index) => {
      if (typeof model !== 'string' || model.length === 0 || model.length > MAX_PATTERN_LENGTH) {
        fail(
          `${path}.models[${index}]`,
          model,
          `expected a model name or glob of 1-${MAX_PATTERN_LENGTH} characters.`,
        );
      }
      return model;
    });
  }
  for (const field of ['requestsPerMinute', 'tokensPerMinute', 'maxParallel'] as const) {
    const value = positiveInteger(record[field], `${path}.${field}`);
    if (value !== undefined) policy[field] = value;
  }
  if (record.budgets !== undefined) {
    if (!Array.isArray(record.budgets) || record.budgets.length > MAX_BUDGETS) {
      fail(`${path}.budgets`, record.budgets, `expected a list of at most ${MAX_BUDGETS} budgets.`);
    }
    policy.budgets = record.budgets.map((budget, index) =>
      parseBudget(budget, `${path}.budgets[${index}]`),
    );
  }
  return policy;
}

function parseBudget(input: unknown, path: string): Budget {
  if (typeof input !== 'object' || input === null) {
    fail(
      path,
      input,
      'expected { metric: "usd" | "tokens", period: "day" | "month", limit, enforcement? }.',
    );
  }
  const record = input as Record<string, unknown>;
  if (record.metric !== 'usd' && record.metric !== 'tokens') {
    fail(`${path}.metric`, record.metric, 'expected "usd" or "tokens".');
  }
  if (record.period !== 'day' && record.period !== 'month') {
    fail(`${path}.period`, record.period, 'expected "day" or "month".');
  }
  const limit = record.limit;
  if (typeof limit !== 'number' || !Number.isFinite(limit) || limit < 0) {
    fail(`${path}.limit`, limit, 'expected a number >= 0.');
  }
  if (record.metric === 'tokens' && !Number.isInteger(limit)) {
    fail(`${path}.limit`, limit, 'a token budget is a whole number of tokens.');
  }
  const enforcement = record.enforcement ?? 'hard';
  if (enforcement !== 'hard' && enforcement !== 'soft') {
    fail(`${path}.enforcement`, enforcement, 'expected "hard" or "soft".');
  }
  return { metric: record.metric, period: record.period, limit, enforcement };
}

export function parseScopes(input: unknown, path = 'scopes'): Scope[] {
  if (!Array.isArray(input) || input.length === 0) {
    fail(path, input, `expected a non-empty list of scopes from ${SCOPES.join(', ')}.`);
  }
  return [...new Set(input)].map((scope, index) => {
    if (!SCOPES.includes(scope as Scope)) {
      fail(`${path}[${index}]`, scope, `unknown scope; expected one of ${SCOPES.join(', ')}.`);
    }
    return scope as Scope;
  });
}

/** `*` matches any run of characters, `?` one; everything else matches itself. */
export function modelMatches(pattern: string, model: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === model;
  const source = pattern
    .split('')
    .map((character) =>
      character === '*'
        ? '.*'
        : character === '?'
          ? '.'
          : character.replace(/[.+^${}()|[\]\\/-]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`, 's').test(model);
}

export function modelAllowed(policy: Policy, model: string): boolean {
  return (
    policy.models === undefined || policy.models.some((pattern) => modelMatches(pattern, model))
  );
}
