/**
 * The `gateway:` section of a server config: where the database is, and model prices
 * for USD budgets. Checked field by field, like policies, so a typo names itself.
 */
import { join } from 'node:path';
import { InvalidArgumentError } from '@llmr/core';
import { parseDatabaseUrl } from './database/open-database';
import type { ModelPrice } from './gateway';

export interface GatewayConfig {
  /** Default true when the section is present. */
  enabled: boolean;
  /** `pglite:<dir>`, `pglite:memory` or `postgres://...`; default `pglite:<LLMR_HOME>/gateway`. */
  database: string;
  prices: Record<string, ModelPrice>;
}

function fail(path: string, value: unknown, message: string): never {
  throw new InvalidArgumentError({ argument: path, value, message: `${path}: ${message}` });
}

/** The embedded database's default home: `<llmrHome>/gateway`. */
export function defaultDatabaseUrl(llmrHome: string): string {
  return `pglite:${join(llmrHome, 'gateway')}`;
}

export function parseGatewayConfig(
  input: unknown,
  options: { llmrHome: string; path?: string },
): GatewayConfig {
  const path = options.path ?? 'gateway';
  if (input === undefined || input === null || input === true) {
    return { enabled: true, database: defaultDatabaseUrl(options.llmrHome), prices: {} };
  }
  if (input === false)
    return { enabled: false, database: defaultDatabaseUrl(options.llmrHome), prices: {} };
  if (typeof input !== 'object' || Array.isArray(input))
    fail(path, input, 'expected an object (database, prices, enabled).');
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!['enabled', 'database', 'prices'].includes(key)) {
      fail(`${path}.${key}`, record[key], 'unknown field; expected enabled, database or prices.');
    }
  }
  if (record.enabled !== undefined && typeof record.enabled !== 'boolean') {
    fail(`${path}.enabled`, record.enabled, 'expected true or false.');
  }
  let database = defaultDatabaseUrl(options.llmrHome);
  if (record.database !== undefined) {
    if (typeof record.database !== 'string')
      fail(`${path}.database`, record.database, 'expected a database URL string.');
    parseDatabaseUrl(record.database);
    database = record.database;
  }
  const prices: Record<string, ModelPrice> = {};
  if (record.prices !== undefined) {
    if (
      typeof record.prices !== 'object' ||
      record.prices === null ||
      Array.isArray(record.prices)
    ) {
      fail(
        `${path}.prices`,
        record.prices,
        'expected { <model or glob>: { inputPerMillion, outputPerMillion } }.',
      );
    }
    for (const [model, price] of Object.entries(record.prices as Record<string, unknown>)) {
      const entry = price as Record<string, unknown> | null;
      for (const field of ['inputPerMillion', 'outputPerMillion'] as const) {
        const value = entry?.[field];
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
          fail(
            `${path}.prices["${model}"].${field}`,
            value,
            'expected US dollars per million tokens, a number >= 0.',
          );
        }
      }
      prices[model] = {
        inputPerMillion: entry?.inputPerMillion as number,
        outputPerMillion: entry?.outputPerMillion as number,
      };
    }
  }
  return { enabled: record.enabled !== false, database, prices };
}
