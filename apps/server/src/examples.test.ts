/**
 * Runs every project in examples/ the way its README says, against real models (the two
 * fixture GGUFs in examples/models) and real `llmr serve` processes on 127.0.0.1, and
 * checks what each prints. An example that stops working, or a new one without a case
 * here, fails this file. Needs the built CLI (`pnpm build`; `pnpm test` builds first).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeModels } from './make-models';
import { runBrowserPage } from './run-browser-page';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const examples = join(root, 'examples');
const models = join(examples, 'models');
const bin = join(root, 'packages/cli/dist/bin.js');
const children: ChildProcess[] = [];

interface Served {
  url: string;
  /** What the server has logged so far. */
  log: () => string;
  stop: () => Promise<void>;
}

/** Starts `llmr serve` and resolves with its address once it listens. */
async function serve(args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--quiet', ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  let match = / at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
  while (!match && child.exitCode === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    match = / at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
  }
  if (!match) throw new Error(`llmr serve ${args.join(' ')} did not start:\n${stderr}`);
  const served: Served = {
    url: match[1]!,
    log: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return served;
}

/** Runs an example's `main.ts` (its `pnpm start`) and returns what it printed. */
async function runExample(
  name: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'main.ts', ...args], {
    cwd: join(examples, name),
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return stdout;
}

const covered = new Set<string>();
const example = (name: string, body: () => Promise<void>) => {
  covered.add(name);
  it(name, body, 180_000);
};

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  await makeModels(models);
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('examples/', () => {
  example('library', async () => {
    const output = await runExample('library', {}, [models]);
    expect(output).toMatch(/^generate via bigram: ".+"$/m);
    expect(output).toMatch(/^usage: \d+ in, 16 out$/m);
    expect(output).toMatch(/^stream via oracle: ".+"$/m);
  });

  example('browser-page', async () => {
    const work = await mkdtemp(join(tmpdir(), 'llmr-browser-page-'));
    try {
      const page = await runBrowserPage(join(examples, 'browser-page'), work, 'The router sent', 8);
      expect(page.tokens, page.log.join('\n')).toEqual(page.reference);
      // Streamed into the page as it was made: a delta (at least) per token.
      expect(page.deltas).toBeGreaterThanOrEqual(8);
      expect(page.text.length).toBeGreaterThan(0);
      expect(page.status).toMatch(/^8 tokens in [\d.]+ s on wasm-simd\.$/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  example('custom-runtime', async () => {
    const output = await runExample('custom-runtime', {}, [models]);
    // The strategy puts the warm model first; before any load, the route's order decides.
    expect(output).toMatch(/^200 oracle \(prefer-loaded\): ".*"$/m);
    expect(output).toMatch(/^400 content_policy_violation: .*internal roadmap/m);
  });

  describe('clients against llmr serve', () => {
    let server: Served;
    beforeAll(async () => {
      server = await serve(
        ['--model', `bigram=${join(models, 'bigram-f16.gguf')}`, '--api-key', 'sk-example'],
        examples,
      );
    }, 120_000);
    afterAll(() => server?.stop());

    example('openai-client', async () => {
      const output = await runExample('openai-client', {
        LLMR_BASE_URL: `${server.url}/v1`,
        LLMR_API_KEY: 'sk-example',
      });
      expect(output).toMatch(/^models: bigram$/m);
      expect(output).toMatch(/^chat \(bigram\): ".+"$/m);
      expect(output).toMatch(/^usage: \d+ in, 16 out$/m);
      expect(output).toMatch(/^stream: ([1-9]\d*) chunks: ".+"$/m);
    });

    example('anthropic-client', async () => {
      const output = await runExample('anthropic-client', {
        LLMR_URL: server.url,
        LLMR_API_KEY: 'sk-example',
      });
      expect(output).toMatch(/^message \(bigram, max_tokens\): ".+"$/m);
      expect(output).toMatch(/^usage: \d+ in, 16 out$/m);
      expect(output).toMatch(/^stream: ([1-9]\d*) deltas: ".+"$/m);
    });
  });

  example('http-apis', async () => {
    const server = await serve(
      [
        '--model',
        `bigram=${join(models, 'bigram-f16.gguf')}`,
        '--api-key',
        'sk-example',
        '--grpc-port',
        '0',
      ],
      examples,
    );
    try {
      const grpcPort = /gRPC \(llmr\.v1, health, reflection\) at \S+:(\d+)/.exec(server.log())?.[1];
      expect(grpcPort, server.log()).toBeDefined();
      const env = {
        ...process.env,
        LLMR_URL: server.url,
        LLMR_API_KEY: 'sk-example',
        LLMR_GRPC_ADDRESS: `127.0.0.1:${grpcPort}`,
      };
      const cwd = join(examples, 'http-apis');
      const script = async (file: string) =>
        (await run('sh', [file], { cwd, env, timeout: 120_000 })).stdout;
      const typescript = async (file: string) =>
        (await run(process.execPath, ['--import', 'tsx', file], { cwd, env, timeout: 120_000 }))
          .stdout;

      const [completion, stream] = (await script('openai.sh')).split('\n');
      const chat = JSON.parse(completion!);
      expect(chat.object).toBe('chat.completion');
      expect(chat.model).toBe('bigram');
      expect(chat.usage.completion_tokens).toBe(16);
      expect(stream).toMatch(/^data: \{"id":"chatcmpl-/);

      const message = JSON.parse(await script('anthropic.sh'));
      expect(message.type).toBe('message');
      expect(message.content[0].type).toBe('text');
      expect(message.usage.output_tokens).toBe(16);

      const [list, mutation] = (await script('graphql.sh')).trim().split('\n');
      expect(JSON.parse(list!)).toEqual({ data: { models: [{ id: 'bigram' }] } });
      const generated = JSON.parse(mutation!).data.generate;
      expect(generated.usage.outputTokens).toBe(16);
      expect(generated.routing).toEqual({ model: 'bigram', attempts: 1 });
      expect(generated.text.length).toBeGreaterThan(0);

      const [models, loaded, unloaded] = (await script('native.sh')).trim().split('\n');
      expect(JSON.parse(models!).models.map((model: { id: string }) => model.id)).toEqual([
        'bigram',
      ]);
      expect(JSON.parse(loaded!)).toMatchObject({ id: 'bigram' });
      expect(JSON.parse(unloaded!)).toEqual({ unloaded: 'bigram' });

      const websocket = await typescript('websocket.ts');
      expect(websocket).toMatch(/^websocket \(bigram\): ".+"$/m);
      expect(websocket).toMatch(/^usage: \d+ in, 16 out$/m);
      expect(await typescript('grpc.ts')).toMatch(/^grpc \(bigram\): ".+"$/m);
    } finally {
      await server.stop();
    }
  });

  example('fallback-server', async () => {
    // The "remote" upstream is another llmr serving the name the config asks it for.
    const upstream = await serve(
      ['--model', `gpt-4o-mini=${join(models, 'oracle-q8_0.gguf')}`, '--api-key', 'sk-upstream'],
      examples,
    );
    const server = await serve(['--config', 'llmr.yaml'], join(examples, 'fallback-server'), {
      UPSTREAM_BASE_URL: `${upstream.url}/v1`,
      UPSTREAM_API_KEY: 'sk-upstream',
    });
    try {
      const env = { LLMR_BASE_URL: `${server.url}/v1` };
      const healthy = await runExample('fallback-server', env);
      expect(healthy).toMatch(/^served by: cloud\nattempts: 1\nreply: ".+"$/m);
      await upstream.stop();
      const fallen = await runExample('fallback-server', env);
      expect(fallen).toMatch(/^served by: local\nattempts: 2\nreply: ".+"$/m);
    } finally {
      await upstream.stop();
      await server.stop();
    }
  });

  example('strategy-plugin', async () => {
    const server = await serve(['--config', 'llmr.yaml'], join(examples, 'strategy-plugin'));
    try {
      const output = await runExample('strategy-plugin', { LLMR_BASE_URL: `${server.url}/v1` });
      expect(output).toContain('short prompt -> small (strategy by-prompt-length)');
      expect(output).toContain('long prompt -> large (strategy by-prompt-length)');
    } finally {
      await server.stop();
    }
  });

  it('every example has a case here', async () => {
    const entries = await readdir(examples, { withFileTypes: true });
    const projects = entries
      .filter(
        (entry) => entry.isDirectory() && existsSync(join(examples, entry.name, 'package.json')),
      )
      .map((entry) => entry.name)
      .sort();
    expect(projects).toEqual([...covered].sort());
  });
});
