/** `llmr tenants create|list`: the teams and projects that own gateway keys. */
import type { Policy } from '@llmr/gateway';
import type { Command } from 'commander';
import {
  addDatabaseOptions,
  type DatabaseOptions,
  parseJsonOption,
  withGateway,
} from './gateway-database';

export function registerTenantsCommand(program: Command): void {
  const tenants = program
    .command('tenants')
    .description('Manage gateway tenants (teams, projects).');
  addDatabaseOptions(
    tenants
      .command('create <name>')
      .description('Create a tenant')
      .option(
        '--policy <json>',
        'policy: models, requestsPerMinute, tokensPerMinute, maxParallel, budgets',
        parseJsonOption('--policy'),
      )
      .option('--metadata <json>', 'free-form metadata', parseJsonOption('--metadata'))
      .option('--store-content', 'keep prompt and completion text in the audit log')
      .option('--json', 'print JSON'),
  ).action(
    async (
      name: string,
      options: DatabaseOptions & {
        policy?: Policy;
        metadata?: Record<string, unknown>;
        storeContent?: boolean;
        json?: boolean;
      },
    ) => {
      const tenant = await withGateway(options, (gateway) =>
        gateway.tenants.create(
          {
            name,
            ...(options.policy ? { policy: options.policy } : {}),
            ...(options.metadata ? { metadata: options.metadata } : {}),
            storeContent: options.storeContent === true,
          },
          { via: 'cli' },
        ),
      );
      process.stdout.write(
        options.json
          ? `${JSON.stringify(tenant)}\n`
          : `created tenant ${tenant.name} (${tenant.id})\n`,
      );
    },
  );
  addDatabaseOptions(
    tenants.command('list').description('List tenants').option('--json', 'print JSON'),
  ).action(async (options: DatabaseOptions & { json?: boolean }) => {
    const list = await withGateway(options, (gateway) => gateway.tenants.list());
    if (options.json) return void process.stdout.write(`${JSON.stringify(list)}\n`);
    for (const tenant of list) {
      process.stdout.write(
        `${tenant.id}  ${tenant.name}  ${JSON.stringify(tenant.policy)}${tenant.storeContent ? '  (stores content)' : ''}\n`,
      );
    }
  });
}
