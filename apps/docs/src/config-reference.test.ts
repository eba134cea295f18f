import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  configReferencePath,
  readFieldDescriptions,
  renderConfigReference,
  undocumentedFields,
} from './config-reference';

const committed = () =>
  readFileSync(fileURLToPath(new URL(`../../../${configReferencePath}`, import.meta.url)), 'utf8');

describe('the config reference', () => {
  it('is the page the schema renders today (run `pnpm --filter @llmr/docs config-reference`)', () => {
    expect(committed()).toBe(renderConfigReference());
  });

  it('describes every field the schema accepts', () => {
    expect(undocumentedFields()).toEqual([]);
  });

  it('shows bounds, enums and defaults from the schema itself', () => {
    const page = renderConfigReference();
    expect(page).toContain('| `models[].quality` | number (≥ 0, ≤ 1) |');
    expect(page).toContain('`"refuse"`, `"downgrade"`');
    expect(page).toContain('## routes\n\nmap of name → object, default `{}`.');
    expect(page).toContain('`circuitBreaker.failureThreshold`');
  });

  it('reads descriptions through unions, arrays, maps and referenced interfaces', () => {
    const descriptions = readFieldDescriptions(`
      interface Stage {
        /** the stage */
        stage: string;
      }
      interface RouterConfig {
        /** a union */
        breaker?: {
          /** inside */
          limit?: number;
        } | false;
        list?: {
          /** element */
          name: string;
        }[];
        map?: Record<string, Stage[]>;
      }`);
    expect(Object.fromEntries(descriptions)).toEqual({
      breaker: 'a union',
      'breaker.limit': 'inside',
      'list[].name': 'element',
      'map.*[].stage': 'the stage',
    });
  });

  it('finds a field the schema gains without a doc comment', () => {
    // Dropping one comment from the source must surface as an undocumented field.
    const source = readFileSync(
      fileURLToPath(
        new URL('../../../packages/router/src/config/router-config-schema.ts', import.meta.url),
      ),
      'utf8',
    ).replace('/** Turns the in-memory response cache on. */', '');
    expect(readFieldDescriptions(source).has('cache.enabled')).toBe(false);
    expect(readFieldDescriptions().has('cache.enabled')).toBe(true);
  });
});
