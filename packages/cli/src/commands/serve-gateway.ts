/**
 * Whether `llmr serve` runs the gateway, and on which database. On when the config has a
 * `gateway:` section (unless `enabled: false`), when `--gateway [url]` is given, or, with
 * neither and no `--api-key`, when the embedded default database exists (it does once
 * `llmr keys create` has made a key): keys that exist are keys that must be enforced.
 */
import { existsSync } from 'node:fs';
import { InvalidArgumentError } from '@llmr/core';
import {
  createGateway,
  defaultDatabaseUrl,
  type Gateway,
  parseDatabaseUrl,
  parseGatewayConfig,
} from '@llmr/gateway';
import { llmrHome } from '../default-model';
import { readGatewaySection } from './gateway-database';

export interface ServeGatewayOptions {
  config?: string;
  /** `--gateway` alone (true) or `--gateway <url>`. */
  gateway?: string | boolean;
  apiKey?: string[];
}

export async function openServeGateway(
  options: ServeGatewayOptions,
  log: (line: string) => void,
): Promise<Gateway | undefined> {
  const fromFile = options.config
    ? await readGatewaySection(options.config)
    : { present: false, section: undefined };
  let section = fromFile.section;
  let wanted = fromFile.present || options.gateway !== undefined;
  if (typeof options.gateway === 'string') {
    section = {
      ...(section && typeof section === 'object' ? section : {}),
      database: options.gateway,
    };
  }
  if (!wanted) {
    const location = parseDatabaseUrl(defaultDatabaseUrl(llmrHome()));
    wanted =
      !options.apiKey?.length &&
      location.engine === 'pglite' &&
      location.dataDir !== undefined &&
      existsSync(location.dataDir);
  }
  if (!wanted) return undefined;
  const config = parseGatewayConfig(section, { llmrHome: llmrHome() });
  if (!config.enabled) return undefined;
  if (options.apiKey?.length) {
    throw new InvalidArgumentError({
      argument: '--api-key',
      value: '(hidden)',
      message:
        'The gateway is on, and it checks its own keys: drop --api-key and create keys with "llmr keys create", or turn the gateway off (gateway: { enabled: false }).',
    });
  }
  const gateway = await createGateway({ database: config.database, prices: config.prices });
  const location = parseDatabaseUrl(config.database);
  log(
    `gateway on: ${location.engine === 'postgres' ? 'PostgreSQL' : `PGlite ${location.dataDir ?? '(memory)'}`}; requests need a gateway key`,
  );
  return gateway;
}
