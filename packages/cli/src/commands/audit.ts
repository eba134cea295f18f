/** `llmr audit verify|export`: check the gateway's hash-chained audit log, or archive it. */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { parseTime } from '@llmr/gateway';
import type { Command } from 'commander';
import { addDatabaseOptions, type DatabaseOptions, withGateway } from './gateway-database';

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description("Check or export the gateway's audit log.");
  addDatabaseOptions(
    audit
      .command('verify')
      .description('Verify the chain; exits 1 and names each tampered record')
      .option('--json', 'print JSON'),
  ).action(async (options: DatabaseOptions & { json?: boolean }) => {
    const result = await withGateway(options, (gateway) => gateway.audit.verify());
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok)
      process.stdout.write(
        `audit log intact: ${result.records} records, head ${result.headHash || '(empty)'}\n`,
      );
    else
      for (const problem of result.problems)
        process.stdout.write(`${problem.kind} at record ${problem.seq}: ${problem.message}\n`);
    if (!result.ok) process.exitCode = 1;
  });
  addDatabaseOptions(
    audit
      .command('export')
      .description('Write the log as JSON lines, with hashes')
      .option('--from <time>', 'ISO 8601 or epoch milliseconds (inclusive)')
      .option('--to <time>', 'ISO 8601 or epoch milliseconds (exclusive)')
      .option('-o, --output <file>', 'write to a file instead of stdout'),
  ).action(async (options: DatabaseOptions & { from?: string; to?: string; output?: string }) => {
    const fromMs = parseTime(options.from, '--from');
    const toMs = parseTime(options.to, '--to');
    const out = options.output ? createWriteStream(options.output) : process.stdout;
    await withGateway(options, async (gateway) => {
      for await (const line of gateway.audit.exportJsonLines({
        ...(fromMs === undefined ? {} : { fromMs }),
        ...(toMs === undefined ? {} : { toMs }),
      })) {
        if (!out.write(line)) await once(out, 'drain');
      }
    });
    if (options.output) {
      (out as ReturnType<typeof createWriteStream>).end();
      await once(out, 'finish');
    }
  });
}
