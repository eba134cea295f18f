/**
 * Which gateway database the admin commands (`llmr keys|tenants|audit`) work on, in this
 * order: `--db <url>`, the `gateway.database` of `--config <file>`, `LLMR_GATEWAY_DB`, then
 * the embedded default in the llmr home, the same one `llmr serve` uses.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@llmr/core';
import { createGateway, defaultDatabaseUrl, type Gateway, parseGatewayConfig } from '@llmr/gateway';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { llmrHome } from '../default-model';

export interface DatabaseOptions {
  db?: string;
  config?: string;
}

/** The `gateway:` section of a config file, and whether the file has one. */
export function readGatewaySection(file: string): Promise<{ present: boolean; section: unknown }> {
  return readConfigSection(file, 'gateway');
}

/** One top-level section of a config file (JSON or YAML), and whether the file has it. */
export async function readConfigSection(
  file: string,
  name: string,
): Promise<{ present: boolean; section: unknown }> {
  let document: unknown;
  try {
    document = parseYaml(await readFile(file, 'utf8'));
  } catch (error) {
    throw new InvalidArgumentError({
      argument: '--config',
      value: file,
      message: `Cannot read config file ${file}: ${(error as Error).message}`,
    });
  }
  const record =
    document !== null && typeof document === 'object' ? (document as Record<string, unknown>) : {};
  return { present: name in record, section: record[name] };
}

export async function resolveDatabaseUrl(options: DatabaseOptions): Promise<string> {
  if (options.db) return options.db;
  if (options.config) {
    const { section } = await readGatewaySection(options.config);
    return parseGatewayConfig(section, { llmrHome: llmrHome() }).database;
  }
  return process.env.LLMR_GATEWAY_DB || defaultDatabaseUrl(llmrHome());
}

/** Runs `work` on the gateway and always closes it, so PGlite releases its directory. */
export async function withGateway<T>(
  options: DatabaseOptions,
  work: (gateway: Gateway) => Promise<T>,
): Promise<T> {
  const gateway = await createGateway({ database: await resolveDatabaseUrl(options) });
  try {
    return await work(gateway);
  } finally {
    await gateway.close();
  }
}

export function addDatabaseOptions(command: Command): Command {
  return command
    .option('--db <url>', 'gateway database: pglite:<dir> or postgres://... (also LLMR_GATEWAY_DB)')
    .option('-c, --config <file>', 'server config whose gateway.database to use');
}

export function parseJsonOption(name: string) {
  return (raw: string): unknown => {
    try {
      return JSON.parse(raw);
    } catch (error) {
      throw new InvalidArgumentError({
        argument: name,
        value: raw,
        message: `${name} must be JSON, e.g. '{"requestsPerMinute":60}': ${(error as Error).message}`,
      });
    }
  };
}
