/** `llmr keys create|list|revoke`: gateway virtual keys, shown once when created. */
import { InvalidArgumentError } from '@llmr/core';
import type { Policy, Scope } from '@llmr/gateway';
import type { Command } from 'commander';
import { parseNumber } from '../output';
import {
  addDatabaseOptions,
  type DatabaseOptions,
  parseJsonOption,
  withGateway,
} from './gateway-database';

interface CreateOptions extends DatabaseOptions {
  tenant: string;
  name?: string;
  scope?: Scope[];
  policy?: Policy;
  model?: string[];
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  maxParallel?: number;
  budget?: string[];
  expires?: string;
  json?: boolean;
}

/** `usd:month:50`, `tokens:day:100000:soft`. */
export function parseBudgetFlag(flag: string): NonNullable<Policy['budgets']>[number] {
  const [metric, period, limit, enforcement, ...rest] = flag.split(':');
  const ok =
    (metric === 'usd' || metric === 'tokens') &&
    (period === 'day' || period === 'month') &&
    limit !== undefined &&
    Number.isFinite(Number(limit)) &&
    (enforcement === undefined || enforcement === 'hard' || enforcement === 'soft') &&
    rest.length === 0;
  if (!ok) {
    throw new InvalidArgumentError({
      argument: '--budget',
      value: flag,
      message: `--budget "${flag}" is not <usd|tokens>:<day|month>:<limit>[:soft], e.g. usd:month:50 or tokens:day:100000:soft.`,
    });
  }
  return {
    metric,
    period,
    limit: Number(limit),
    enforcement: enforcement ?? 'hard',
  } as NonNullable<Policy['budgets']>[number];
}

function policyOf(options: CreateOptions): Policy {
  return {
    ...options.policy,
    ...(options.model ? { models: options.model } : {}),
    ...(options.requestsPerMinute === undefined
      ? {}
      : { requestsPerMinute: options.requestsPerMinute }),
    ...(options.tokensPerMinute === undefined ? {} : { tokensPerMinute: options.tokensPerMinute }),
    ...(options.maxParallel === undefined ? {} : { maxParallel: options.maxParallel }),
    ...(options.budget ? { budgets: options.budget.map(parseBudgetFlag) } : {}),
  };
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('Manage gateway API keys.');
  addDatabaseOptions(
    keys
      .command('create')
      .description('Create a key; it is printed once and never stored')
      .requiredOption('-t, --tenant <tenant>', 'owning tenant (name or id)')
      .option('--name <name>', 'a label')
      .option('--scope <scope...>', 'admin, inference, metrics (default inference)')
      .option('--model <glob...>', 'models it may call (names, aliases, globs)')
      .option(
        '--requests-per-minute <n>',
        'request limit',
        parseNumber('--requests-per-minute', true),
      )
      .option('--tokens-per-minute <n>', 'token limit', parseNumber('--tokens-per-minute', true))
      .option('--max-parallel <n>', 'parallel request limit', parseNumber('--max-parallel', true))
      .option('--budget <spec...>', '<usd|tokens>:<day|month>:<limit>[:soft]')
      .option(
        '--policy <json>',
        'a whole policy as JSON (flags add to it)',
        parseJsonOption('--policy'),
      )
      .option('--expires <time>', 'expiry, ISO 8601')
      .option('--json', 'print JSON'),
  ).action(async (options: CreateOptions) => {
    let expiresAt: Date | undefined;
    if (options.expires !== undefined) {
      expiresAt = new Date(options.expires);
      if (Number.isNaN(expiresAt.getTime())) {
        throw new InvalidArgumentError({
          argument: '--expires',
          value: options.expires,
          message: `--expires "${options.expires}" is not an ISO 8601 time.`,
        });
      }
    }
    const created = await withGateway(options, (gateway) =>
      gateway.keys.create(
        {
          tenant: options.tenant,
          ...(options.name ? { name: options.name } : {}),
          ...(options.scope ? { scopes: options.scope } : {}),
          policy: policyOf(options),
          ...(expiresAt ? { expiresAt } : {}),
        },
        { via: 'cli' },
      ),
    );
    if (options.json)
      return void process.stdout.write(
        `${JSON.stringify({ key: created.key, ...created.record })}\n`,
      );
    process.stdout.write(`${created.key}\n`);
    process.stderr.write(
      `created key ${created.record.id} for tenant ${created.record.tenantId} (${created.record.scopes.join(', ')}); the key is shown only now.\n`,
    );
  });
  addDatabaseOptions(
    keys
      .command('list')
      .description('List keys (never the keys themselves)')
      .option('-t, --tenant <tenant>', 'only this tenant')
      .option('--json', 'print JSON'),
  ).action(async (options: DatabaseOptions & { tenant?: string; json?: boolean }) => {
    const list = await withGateway(options, (gateway) =>
      gateway.keys.list(options.tenant ? { tenant: options.tenant } : {}),
    );
    if (options.json) return void process.stdout.write(`${JSON.stringify(list)}\n`);
    for (const key of list) {
      const state = key.revokedAt
        ? 'revoked'
        : key.expiresAt && key.expiresAt.getTime() <= Date.now()
          ? 'expired'
          : 'active';
      process.stdout.write(
        `${key.id}  ${key.tenantId}  ${state}  ${key.scopes.join(',')}  ${key.name}\n`,
      );
    }
  });
  addDatabaseOptions(keys.command('revoke <id>').description('Revoke a key at once')).action(
    async (id: string, options: DatabaseOptions) => {
      const key = await withGateway(options, (gateway) => gateway.keys.revoke(id, { via: 'cli' }));
      process.stdout.write(`revoked key ${key.id}\n`);
    },
  );
}
