/**
 * `llmr serve --config` with a local GGUF model (the built-in default model, run by
 * llama.cpp) next to remote ones, where the upstream is a second `llmr serve` process on
 * loopback: reached as `openai-compatible` (/v1/chat/completions) and as `anthropic`
 * (/v1/messages). Routes by alias, falls back between local and remote before the first
 * token both ways, reports both models in /v1/models and the routing headers, and never
 * shows the upstream's key.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDefaultModel } from '../default-model';
import { bin, closedPort, type Served, serve } from './serve-test-process';

const UPSTREAM_KEY = 'sk-upstream-secret-7f3a9c';

const chat = (url: string, model: string, content: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }], max_tokens: 32 }),
  });

let home: string;
let upstream: Served;
let gateway: Served;

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  home = await mkdtemp(join(tmpdir(), 'llmr-upstreams-'));
  const previousHome = process.env.LLMR_HOME;
  process.env.LLMR_HOME = home;
  const gguf = await ensureDefaultModel().finally(() => {
    if (previousHome === undefined) delete process.env.LLMR_HOME;
    else process.env.LLMR_HOME = previousHome;
  });
  const upstreamProcess = serve(
    ['--model', 'echo=mock:echo', '--api-key', UPSTREAM_KEY, '--quiet'],
    { LLMR_HOME: home },
  );
  await upstreamProcess.ready;
  upstream = upstreamProcess;
  const config = join(home, 'llmr.yaml');
  const upstreamSettings = `{ baseURL: "${upstream.url}/v1", apiKey: "\${LLMR_TEST_UPSTREAM_KEY}", timeoutMs: 20000 }`;
  await writeFile(
    config,
    [
      'models:',
      `  - { id: local, source: "${gguf}", contextLength: 4096 }`,
      `  - { id: missing-local, source: "${join(home, 'missing.gguf')}" }`,
      '  - id: remote',
      '    provider: openai-compatible',
      '    providerModelId: echo',
      `    providerSettings: ${upstreamSettings}`,
      '    contextLength: 4096',
      '    capabilities: [chat, completion]',
      '    pricing: { input: 0.15, output: 0.6 }',
      '  - id: remote-claude',
      '    provider: anthropic',
      '    providerModelId: echo',
      `    providerSettings: ${upstreamSettings}`,
      '    contextLength: 4096',
      'aliases: { fast: local, smart: remote, claude: remote-claude }',
      'routes:',
      '  remote-first: { fallback: [remote, local] }',
      '  local-first: { fallback: [missing-local, remote] }',
      'retry: { maxRetries: 0 }',
      '',
    ].join('\n'),
  );
  const gatewayProcess = serve(['--config', config, '--default-model', 'local'], {
    LLMR_HOME: home,
    LLMR_TEST_UPSTREAM_KEY: UPSTREAM_KEY,
  });
  await gatewayProcess.ready;
  gateway = gatewayProcess;
}, 120_000);

afterAll(async () => {
  for (const served of [gateway, upstream]) {
    if (served && served.child.exitCode === null) {
      served.child.kill('SIGTERM');
      await served.exited;
    }
  }
  if (home) await rm(home, { recursive: true, force: true });
});

describe('llmr serve with a local GGUF model and a second llmr as its upstream', () => {
  it('lists local and remote models in /v1/models and routes each alias to its model', async () => {
    const models = (await (await fetch(`${gateway.url}/v1/models`)).json()) as {
      data: { id: string }[];
    };
    expect(models.data.map((model) => model.id)).toEqual(
      expect.arrayContaining(['local', 'remote', 'remote-claude']),
    );
    const local = await chat(gateway.url, 'fast', 'Hello');
    expect(local.status).toBe(200);
    expect(local.headers.get('x-llmr-model')).toBe('local');
    expect(((await local.json()) as { model: string }).model).toBe('local');
    const remote = await chat(gateway.url, 'smart', 'through two servers');
    expect(remote.status).toBe(200);
    expect(remote.headers.get('x-llmr-model')).toBe('remote');
    const body = (await remote.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe('through two servers');
    // The same upstream, reached over Anthropic's Messages API.
    const claude = await chat(gateway.url, 'claude', 'messages api');
    expect(claude.status).toBe(200);
    expect(claude.headers.get('x-llmr-model')).toBe('remote-claude');
    expect(
      ((await claude.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message
        .content,
    ).toBe('messages api');
  });

  it('falls back from a local model that cannot load to the remote one, before the first token', async () => {
    const response = await chat(gateway.url, 'local-first', 'fallback');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-llmr-model')).toBe('remote');
    expect(response.headers.get('x-llmr-attempts')).toBe('2');
  });

  it('never shows the upstream key in /api, /v1/models, /metrics or the logs', async () => {
    for (const path of ['/api/models', '/api/models/remote', '/v1/models', '/metrics']) {
      const text = await (await fetch(`${gateway.url}${path}`)).text();
      expect(text).not.toContain(UPSTREAM_KEY);
    }
    expect(gateway.output()).not.toContain(UPSTREAM_KEY);
  });

  it('falls back from the remote model to the local one when the upstream is gone', async () => {
    upstream.child.kill('SIGTERM');
    expect(await upstream.exited).toBe(0);
    const response = await chat(gateway.url, 'remote-first', 'Hello');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-llmr-model')).toBe('local');
    expect(response.headers.get('x-llmr-attempts')).toBe('2');
  });
});

describe('llmr serve --config with upstreams that cannot work', () => {
  it('fails startup naming an undefined environment variable, without starting', async () => {
    const config = join(home, 'unset.yaml');
    const port = await closedPort();
    await writeFile(
      config,
      `models:\n  - id: remote\n    provider: openai-compatible\n    providerSettings: { baseURL: "http://127.0.0.1:${port}/v1", apiKey: "\${LLMR_TEST_NEVER_SET}" }\n`,
    );
    const failed = serve(['--config', config], { LLMR_HOME: home });
    const neverReady = failed.ready.catch((error: unknown) => error);
    expect(await failed.exited).toBe(2);
    expect(failed.output()).toMatch(
      /models\["remote"\]\.providerSettings\.apiKey references the environment variable LLMR_TEST_NEVER_SET, which is not set/,
    );
    expect(await neverReady).toBeInstanceOf(Error);
  });
});
