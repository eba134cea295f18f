import { describe, expect, it } from 'vitest';
import {
  checkUpstreamModels,
  createUpstreamProviders,
  parseUpstreamSettings,
  resolveEnvReferences,
} from './upstream-providers';

describe('upstream providers from config', () => {
  it(`resolves \${NAME} references, and names an unset variable without any value`, () => {
    expect(resolveEnvReferences(`Bearer \${TOKEN}`, 'x', { TOKEN: 'secret-1' })).toBe(
      'Bearer secret-1',
    );
    expect(() =>
      checkUpstreamModels(
        [
          {
            id: 'gpt',
            provider: 'openai-compatible',
            providerSettings: {
              baseURL: 'http://127.0.0.1:1/v1',
              apiKey: `\${LLMR_TEST_UNSET_KEY}`,
            },
          },
        ],
        { OTHER: 'secret-2' },
      ),
    ).toThrow(
      /models\["gpt"\]\.providerSettings\.apiKey references the environment variable LLMR_TEST_UNSET_KEY, which is not set/,
    );
  });

  it('checks providers and settings with messages that say what to write', () => {
    const problem = (models: Parameters<typeof checkUpstreamModels>[0]) => {
      try {
        checkUpstreamModels(models, {});
        return 'no error';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problem([{ id: 'a', provider: 'bedrock' }])).toMatch(
      /provider "bedrock"; llmr serve knows openai-compatible and anthropic/,
    );
    expect(problem([{ id: 'a', provider: 'openai-compatible' }])).toMatch(
      /providerSettings\.baseURL is required for provider openai-compatible/,
    );
    expect(
      problem([{ id: 'a', provider: 'anthropic', providerSettings: { baseUrl: 'x' } }]),
    ).toMatch(/providerSettings\.baseUrl is not a setting of provider anthropic; use baseURL/);
    expect(
      problem([{ id: 'a', provider: 'anthropic', providerSettings: { timeoutMs: -1 } }]),
    ).toMatch(/timeoutMs must be a positive whole number/);
    expect(
      problem([{ id: 'a', provider: 'anthropic', providerSettings: { baseURL: 'ftp://x' } }]),
    ).toMatch(/must be an http\(s\) URL/);
    expect(
      problem([
        { id: 'local', source: 'mock:echo' },
        { id: 'a', provider: 'anthropic' },
      ]),
    ).toBe('no error');
  });

  it('makes models with the settings, context length, capabilities and timeout', () => {
    const providers = createUpstreamProviders({ KEY: 'secret-3' });
    const openai = providers['openai-compatible']('gpt-4o-mini', {
      id: 'gpt',
      settings: { baseURL: 'http://127.0.0.1:1/v1', apiKey: `\${KEY}`, timeoutMs: 5000 },
      contextLength: 128_000,
      capabilities: ['chat', 'tools'],
    });
    expect(openai.info).toMatchObject({
      id: 'gpt-4o-mini',
      format: 'openai',
      contextLength: 128_000,
      capabilities: ['chat', 'tools'],
    });
    const claude = providers.anthropic('claude-sonnet-4-5', {
      id: 'claude',
      settings: { apiKey: `\${KEY}`, headers: { 'anthropic-beta': 'x' } },
    });
    expect(claude.info).toMatchObject({ id: 'claude-sonnet-4-5', format: 'anthropic' });
    expect(JSON.stringify(claude.info)).not.toContain('secret-3');
    expect(
      parseUpstreamSettings('anthropic', 'claude', { apiKey: `\${KEY}` }, { KEY: 's' }),
    ).toEqual({ apiKey: 's' });
  });
});
