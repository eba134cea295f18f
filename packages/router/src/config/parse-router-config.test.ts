import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockLoader } from '@llmr/loader-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterConfigError } from '../errors';
import type { RouterEvent } from '../events';
import { createRouter, createRouterFromFile } from '../router';
import { loadRouterConfig } from './load-router-config';
import { parseRouterConfig, validateRouterConfig } from './parse-router-config';

const yamlConfig = `# a router config
models:
  - id: small
    source: mock:random
    pricing: { input: 0.1, output: 0.2 }
  - id: big
    source: mock:random?seed=2
    quality: 1.5
    stratgy: fast
routes:
  chat:
    strategy: fastest
    models: [small, huge]
aliases:
  default: chat
  loop-a: loop-b
  loop-b: loop-a
defaultRoute: nowhere
`;

function issuesOf(action: () => unknown) {
  try {
    action();
  } catch (error) {
    expect(RouterConfigError.isInstance(error)).toBe(true);
    return (error as RouterConfigError).issues;
  }
  throw new Error('expected a RouterConfigError');
}

describe('router config validation', () => {
  it('reports every YAML problem with its field path, line and column', () => {
    const issues = issuesOf(() => parseRouterConfig(yamlConfig, { file: 'router.yaml' }));
    const byPath = Object.fromEntries(issues.map((issue) => [issue.path, issue]));
    expect(byPath['models[1].quality']).toMatchObject({ line: 8, column: 14 });
    expect(byPath['models[1].quality']!.message).toMatch(/1/);
    expect(byPath['models[1].stratgy']).toMatchObject({
      line: 9,
      column: 5,
      message: 'unknown field (check its spelling)',
    });
    expect(byPath['routes.chat.strategy']).toMatchObject({ line: 12 });
    expect(byPath['routes.chat.strategy']!.message).toMatch(
      /must be one of balanced, quality-first/,
    );
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining(['routes.chat.models[1]', 'aliases.loop-a', 'defaultRoute']),
    );
  });

  it('puts paths and lines in the message', () => {
    expect(() => parseRouterConfig(yamlConfig, { file: 'router.yaml' })).toThrow(
      /Invalid router config in router\.yaml \(\d+ problems\):\n {2}- models\[1\]\.quality \(line 8, column 14\)/,
    );
  });

  it('checks that each model has one origin, and cross-references', () => {
    const issues = issuesOf(() =>
      validateRouterConfig({ models: [{ id: 'x' }, { id: 'x', source: 'a', provider: 'b' }] }),
    );
    expect(issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'models[0]: needs exactly one of `source` (a local model), `provider` (a remote upstream) or `model` (an instance); got 0',
      'models[1]: needs exactly one of `source` (a local model), `provider` (a remote upstream) or `model` (an instance); got 2',
      'models[1].id: duplicate model id "x"',
    ]);
    expect(
      issuesOf(() =>
        validateRouterConfig({
          models: [{ id: 'x', source: 'a', providerSettings: { baseURL: 'u' } }],
        }),
      ).map((issue) => `${issue.path}: ${issue.message}`),
    ).toEqual([
      'models[0].providerSettings: is only read for a remote model: set `provider` too, or remove it',
    ]);
    const refs = issuesOf(() =>
      validateRouterConfig({
        models: [
          { id: 'x', source: 'a' },
          { id: 'x', source: 'b' },
        ],
        routes: { x: { fallback: ['y'] } },
        aliases: { auto: 'x' },
      }),
    );
    expect(refs.map((issue) => issue.path)).toEqual([
      'models[1].id',
      'routes.x',
      'routes.x.fallback[0]',
      'aliases.auto',
    ]);
  });

  it('reports JSON syntax errors with their line, and JSON schema errors with paths and lines', () => {
    const broken = issuesOf(() =>
      parseRouterConfig('{\n  "models": [\n    { "id": "a", }\n  ]\n}', { file: 'r.json' }),
    );
    expect(broken[0]).toMatchObject({ path: '', line: 3 });
    expect(broken[0]!.message).toMatch(/invalid JSON/);
    const wrong = issuesOf(() =>
      parseRouterConfig(
        '{\n  "models": [\n    { "id": "a", "source": "mock:x", "contextLength": -4 }\n  ]\n}',
        { format: 'json' },
      ),
    );
    expect(wrong).toEqual([
      {
        path: 'models[0].contextLength',
        message: expect.stringMatching(/>0|positive|greater/i),
        line: 3,
        column: 55,
      },
    ]);
  });

  it('lets the gateway section through for the server to check', () => {
    const config = parseRouterConfig(
      'models:\n  - { id: a, source: mock:echo }\ngateway:\n  database: pglite:./data\n',
      { file: 'serve.yaml' },
    );
    expect(config.gateway).toEqual({ database: 'pglite:./data' });
    expect(config.models.map((model) => model.id)).toEqual(['a']);
  });

  it('lets the redis section through for the server to check', () => {
    const config = parseRouterConfig(
      'models:\n  - { id: a, source: mock:echo }\nredis: redis://127.0.0.1:6379\n',
      { file: 'serve.yaml' },
    );
    expect(config.redis).toBe('redis://127.0.0.1:6379');
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf(() => parseRouterConfig('models:\n  - id: a\n   source: [unclosed\n'));
    expect(issues[0]!.line).toBeGreaterThanOrEqual(2);
    expect(issues[0]!.message).toMatch(/invalid YAML/);
  });

  it('accepts plugins as a list of names or paths for the host, and nothing else there', () => {
    const config = parseRouterConfig('plugins: [llmr-loader-x, ./local.mjs]\nmodels: []\n');
    expect(config.plugins).toEqual(['llmr-loader-x', './local.mjs']);
    const issues = issuesOf(() => parseRouterConfig('plugins: [3]\n'));
    expect(issues.map((issue) => issue.path)).toEqual(['plugins[0]']);
  });

  it('accepts a good config and fills defaults', () => {
    const config = parseRouterConfig(
      'models:\n  - id: a\n    source: mock:random\n    memory: 1GiB\n',
    );
    expect(config).toMatchObject({
      models: [{ id: 'a', source: 'mock:random', memory: '1GiB' }],
      routes: {},
      aliases: {},
    });
  });
});

describe('config files and reload', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'llmr-router-config-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('loads YAML from a file, with the file name in errors', async () => {
    const file = join(folder, 'bad.yaml');
    await writeFile(file, 'models:\n  - id: a\n    source: 3\n');
    await expect(loadRouterConfig(file)).rejects.toThrow(
      /in .*bad\.yaml.*\n {2}- models\[0\]\.source \(line 3, column 13\)/,
    );
  });

  it('reload swaps routes and aliases without a restart; an invalid reload changes nothing', () => {
    const router = createRouter({
      loaders: [createMockLoader()],
      models: [{ id: 'a', source: 'mock:script?reply=a' }],
      aliases: { fast: 'a' },
    });
    expect(() =>
      router.reload({
        models: [{ id: 'a', source: 'mock:script?reply=a' }],
        aliases: { fast: 'b' },
      }),
    ).toThrow(RouterConfigError);
    expect(router.config.aliases).toEqual({ fast: 'a' });
    router.reload(
      'models:\n  - id: a\n    source: mock:script?reply=a\n  - id: b\n    source: mock:script?reply=b\naliases:\n  fast: b\n',
    );
    expect(router.route({ model: 'fast', prompt: 'x' }).candidates[0]!.modelId).toBe('b');
    expect(() => router.reload('models: [\n', { file: 'inline.yaml' })).toThrow(/inline\.yaml/);
  });

  it('watches a config file and reloads on change; a broken edit is reported and ignored', async () => {
    const file = join(folder, 'router.yaml');
    await writeFile(file, 'models:\n  - id: a\n    source: mock:script?reply=first\n');
    const events: RouterEvent[] = [];
    const router = await createRouterFromFile(file, {
      loaders: [createMockLoader()],
      watch: true,
      onEvent: (event) => events.push(event),
    });
    expect((await router.generate({ model: 'a', prompt: 'x' })).text).toBe('first');
    const waitFor = async (type: string) => {
      for (let index = 0; index < 200 && !events.some((event) => event.type === type); index++)
        await new Promise((resolve) => setTimeout(resolve, 25));
    };
    await writeFile(file, 'models:\n  - id: a\n    source: mock:script?reply=second\n');
    await waitFor('config-reload');
    expect((await router.generate({ model: 'a', prompt: 'x' })).text).toBe('second');
    await writeFile(file, 'models:\n  - id: a\n    sorce: typo\n');
    await waitFor('config-error');
    const error = events.find((event) => event.type === 'config-error');
    expect(error).toMatchObject({ error: { code: 'router-config-invalid' } });
    expect((await router.generate({ model: 'a', prompt: 'x' })).text).toBe('second');
    await router.dispose();
  });
});
