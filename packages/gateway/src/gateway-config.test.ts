import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from './database/open-database';
import { parseGatewayConfig } from './gateway-config';
import { modelMatches, parsePolicy, parseScopes } from './policy';

describe('gateway config and policies', () => {
  it('defaults the database to PGlite in the llmr home', () => {
    expect(parseGatewayConfig({}, { llmrHome: '/home/user/.cache/llmr' })).toEqual({
      enabled: true,
      database: 'pglite:/home/user/.cache/llmr/gateway',
      prices: {},
    });
    expect(parseGatewayConfig(false, { llmrHome: 'x' }).enabled).toBe(false);
  });

  it('names the bad field', () => {
    expect(() => parseGatewayConfig({ databse: 'x' }, { llmrHome: 'x' })).toThrow(
      /gateway\.databse: unknown field/,
    );
    expect(() => parseGatewayConfig({ database: 'mysql://x' }, { llmrHome: 'x' })).toThrow(
      /Unknown gateway database "mysql:\/\/x"/,
    );
    expect(() =>
      parseGatewayConfig(
        { prices: { 'gpt-*': { inputPerMillion: -1, outputPerMillion: 1 } } },
        { llmrHome: 'x' },
      ),
    ).toThrow(/gateway\.prices\["gpt-\*"\]\.inputPerMillion/);
    expect(() => parsePolicy({ budgets: [{ metric: 'eur', period: 'day', limit: 1 }] })).toThrow(
      /policy\.budgets\[0\]\.metric/,
    );
    expect(() => parsePolicy({ requestsPerMinute: 1.5 })).toThrow(
      /policy\.requestsPerMinute: expected a whole number/,
    );
    expect(() => parsePolicy({ rpm: 1 })).toThrow(/policy\.rpm: unknown field/);
    expect(() => parseScopes(['inference', 'root'])).toThrow(/scopes\[1\]: unknown scope/);
    expect(() => parseScopes([])).toThrow(/non-empty/);
  });

  it('parses database URLs', () => {
    expect(parseDatabaseUrl('pglite:./data')).toEqual({ engine: 'pglite', dataDir: './data' });
    expect(parseDatabaseUrl('pglite:memory')).toEqual({ engine: 'pglite' });
    expect(parseDatabaseUrl('postgresql://u:p@h:5432/db')).toEqual({
      engine: 'postgres',
      connectionString: 'postgresql://u:p@h:5432/db',
    });
  });

  it('matches model globs literally except * and ?', () => {
    expect(modelMatches('gpt-*', 'gpt-4o')).toBe(true);
    expect(modelMatches('gpt-*', 'xgpt-4o')).toBe(false);
    expect(modelMatches('llama-?b', 'llama-7b')).toBe(true);
    expect(modelMatches('llama-?b', 'llama-70b')).toBe(false);
    expect(modelMatches('a.b', 'axb')).toBe(false);
    expect(modelMatches('fast', 'fast')).toBe(true);
  });
});
