/**
 * End to end, the way a third party ships a plugin: scaffold a loader, a pipeline stage,
 * a provider and a routing strategy, `npm pack` them, install the tarballs with a packed
 * @llmr/core into a fresh project (no registry), then `llmr serve --plugin` (by path and by
 * name) and `plugins:` in a config serve a completion from a model the loader loads, run
 * the stage in front of a model, answer a chat completion through the provider from a
 * loopback upstream (another `llmr serve`), and route a request with the strategy. Needs
 * the built CLI, core and router (`turbo run build --filter=@llmr/cli...`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaffoldPlugin } from './scaffold';
import { corePackage, linkWorkspaceDependencies, run, workspaceRoot } from './test-helpers';

const bin = join(workspaceRoot, 'packages/cli/dist/bin.js');
const PLUGIN = 'llmr-loader-bigram';
const STAGE_PLUGIN = 'llmr-stage-redact';
const PROVIDER_PLUGIN = 'llmr-provider-acme';
const STRATEGY_PLUGIN = 'llmr-strategy-latency-budget';
let work: string;
let installed: string;
let corpus: string;
let project: string;
const children: ChildProcess[] = [];

async function pack(directory: string, command: string, destination: string): Promise<string> {
  const before = new Set(await readdir(destination));
  await run(command, ['pack', '--pack-destination', destination], { cwd: directory });
  const tarball = (await readdir(destination)).find((file) => !before.has(file));
  if (!tarball) throw new Error(`${command} pack wrote no tarball for ${directory}`);
  return join(destination, tarball);
}

async function startServe(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--quiet', ...args], {
    cwd: options.cwd ?? work,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<string>((resolve) =>
    child.on('exit', (code) => resolve(`llmr serve exited (${code}): ${stderr}`)),
  );
  const address = async () => {
    for (let attempt = 0; attempt < 600; attempt++) {
      const url = /at (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) return url;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return `no address after 60 s: ${stderr}`;
  };
  const url = await Promise.race([address(), exited]);
  if (!url.startsWith('http')) throw new Error(url);
  return url;
}

interface CompletionBody {
  choices: Array<{ text: string }>;
}

/** POSTs a JSON body to one of the server's OpenAI routes. */
async function post(url: string, path: string, request: Record<string, unknown>) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

async function complete(
  url: string,
  model: string,
): Promise<{ status: number; body: CompletionBody }> {
  return post(url, '/v1/completions', { model, prompt: 'q', max_tokens: 1, temperature: 0 });
}

beforeAll(async () => {
  for (const built of [bin, join(corePackage, 'dist/index.js')]) {
    if (!existsSync(built))
      throw new Error(`Missing ${built}: build first (turbo run build --filter=@llmr/cli...)`);
  }
  work = await mkdtemp(join(tmpdir(), 'llmr-serve-plugin-'));
  const tarballs = join(work, 'tarballs');
  await mkdir(tarballs);
  const core = JSON.parse(await readFile(join(corePackage, 'package.json'), 'utf8'));
  const source = join(work, PLUGIN);
  await scaffoldPlugin({ name: PLUGIN, directory: source, coreVersion: core.version });
  await linkWorkspaceDependencies(source);
  // npm runs the plugin's prepack (tsc); pnpm packs core as it would publish it.
  const pluginTarball = await pack(source, 'npm', tarballs);
  const stageSource = join(work, STAGE_PLUGIN);
  await scaffoldPlugin({
    name: STAGE_PLUGIN,
    kind: 'stage',
    directory: stageSource,
    coreVersion: core.version,
  });
  await linkWorkspaceDependencies(stageSource);
  const stageTarball = await pack(stageSource, 'npm', tarballs);
  const extraTarballs: string[] = [];
  for (const [name, kind] of [
    [PROVIDER_PLUGIN, 'provider'],
    [STRATEGY_PLUGIN, 'strategy'],
  ] as const) {
    const directory = join(work, name);
    await scaffoldPlugin({ name, kind, directory, coreVersion: core.version });
    await linkWorkspaceDependencies(directory);
    extraTarballs.push(await pack(directory, 'npm', tarballs));
  }
  const coreTarball = await pack(corePackage, 'pnpm', tarballs);
  project = join(work, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), '{ "name": "project", "private": true }\n');
  // The strategy's @llmr/router peer is optional (types only): npm must not fetch it.
  await run(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      coreTarball,
      pluginTarball,
      stageTarball,
      ...extraTarballs,
    ],
    { cwd: project },
  );
  installed = join(project, 'node_modules', PLUGIN);
  corpus = join(work, 'corpus.txt');
  await writeFile(corpus, 'the quiet river runs over green stones. '.repeat(8));
}, 180_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
});

describe('llmr serve with a third-party plugin', () => {
  it('installs from tarballs with core from its own tarball, not a workspace link', async () => {
    const manifest = JSON.parse(
      await readFile(join(installed, '..', '@llmr/core/package.json'), 'utf8'),
    );
    expect(manifest.name).toBe('@llmr/core');
    expect(existsSync(join(installed, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist/loader.test.js'))).toBe(false);
  });

  it('--plugin <path> registers the loader and serves a completion from its model', async () => {
    const url = await startServe(['--plugin', installed, '--model', `corpus=${corpus}`]);
    const { status, body } = await complete(url, 'corpus');
    expect(status, JSON.stringify(body)).toBe(200);
    // "q" is followed only by "u" in the corpus: the bigram model, not another loader, answered.
    expect(body.choices[0]?.text).toBe('u');
  }, 120_000);

  it('plugins: in a config file loads the plugin by name from node_modules', async () => {
    const config = join(work, 'project', 'llmr.yaml');
    await writeFile(
      config,
      `plugins: [${PLUGIN}]\nmodels:\n  - id: river\n    source: ${JSON.stringify(corpus)}\n`,
    );
    const url = await startServe(['--config', config]);
    const { status, body } = await complete(url, 'river');
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.choices[0]?.text).toBe('u');
  }, 120_000);

  it("a stage plugin from the config's plugins: runs in the pipeline in front of a model", async () => {
    const config = join(work, 'project', 'redacted.yaml');
    await writeFile(
      config,
      [
        `plugins: [${STAGE_PLUGIN}]`,
        'models:',
        '  - { id: echo, source: "mock:echo" }',
        'pipeline:',
        '  models:',
        '    echo: [{ stage: redact, options: { replacement: "[hidden]" } }]',
        '',
      ].join('\n'),
    );
    const url = await startServe(['--config', config]);
    const { status, body } = await post(url, '/v1/completions', {
      model: 'echo',
      prompt: 'mail ada@example.com today',
      max_tokens: 64,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    // The echo model answers with what it was sent: the stage rewrote it first.
    expect(body.choices[0]?.text).toBe('mail [hidden] today');
  }, 120_000);

  describe('a provider plugin, against a loopback upstream', () => {
    let upstream: string;
    const env = () => ({ ACME_BASE_URL: `${upstream}/v1` });
    const chat = (url: string) =>
      post(url, '/v1/chat/completions', {
        model: 'chat',
        messages: [{ role: 'user', content: 'hello upstream' }],
        max_tokens: 16,
      }) as Promise<{
        status: number;
        body: { model: string; choices: Array<{ message: { content: string } }> };
      }>;
    beforeAll(async () => {
      // The stand-in upstream is another llmr speaking the OpenAI API, serving an echo model.
      upstream = await startServe(['--model', 'small=mock:echo']);
    }, 120_000);

    it('--plugin <name> loads it from node_modules and answers a chat completion through it', async () => {
      const url = await startServe(['--plugin', PROVIDER_PLUGIN, '--model', 'chat=acme:small'], {
        cwd: project,
        env: env(),
      });
      const { status, body } = await chat(url);
      expect(status, JSON.stringify(body)).toBe(200);
      // The echo model upstream repeats the message: it went out through the plugin and back.
      expect(body.choices[0]?.message.content).toBe('hello upstream');
      expect(body.model).toBe('chat');
    }, 120_000);

    it("plugins: in a config loads it and a model's source names it", async () => {
      const config = join(project, 'provider.yaml');
      await writeFile(
        config,
        `plugins: [${PROVIDER_PLUGIN}]\nmodels:\n  - { id: chat, source: "acme:small" }\n`,
      );
      const url = await startServe(['--config', config], { env: env() });
      const { status, body } = await chat(url);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.choices[0]?.message.content).toBe('hello upstream');
    }, 120_000);
  });

  it('a strategy plugin from the config routes requests by its own ranking', async () => {
    const config = join(project, 'strategy.yaml');
    await writeFile(
      config,
      [
        `plugins: [${STRATEGY_PLUGIN}]`,
        'models:',
        // Priors only (no live samples yet): fast-and-dear, slow-and-cheap, fast-and-cheap.
        '  - { id: dear, source: "mock:echo", speed: { ttftMs: 100 }, pricing: { input: 10, output: 10 } }',
        '  - { id: slow, source: "mock:echo", speed: { ttftMs: 5000 }, pricing: { input: 0.01, output: 0.01 } }',
        '  - { id: cheap, source: "mock:echo", speed: { ttftMs: 300 }, pricing: { input: 1, output: 1 } }',
        'routes:',
        '  chat: { models: [dear, slow, cheap], strategy: latency-budget }',
        '',
      ].join('\n'),
    );
    const url = await startServe(['--config', config]);
    const { status, headers, body } = await post(url, '/v1/completions', {
      model: 'chat',
      prompt: 'route me',
      max_tokens: 8,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(headers.get('x-llmr-strategy')).toBe('latency-budget');
    // The cheapest model within the strategy's 1000 ms budget, though listed last.
    expect(headers.get('x-llmr-model')).toBe('cheap');
  }, 120_000);

  it('a plugin that is not installed fails at start with what to do', async () => {
    await expect(startServe(['--plugin', 'llmr-loader-not-installed'])).rejects.toThrow(
      /not installed in node_modules above .*; run npm install llmr-loader-not-installed/,
    );
  }, 120_000);
});
