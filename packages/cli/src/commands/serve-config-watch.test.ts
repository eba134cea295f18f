/**
 * `llmr serve --config` against its config file being edited while it serves: a version
 * that is not valid YAML, or not a valid config, is logged with its line and field and
 * leaves the previous version serving; the next valid edit is applied. The file's
 * `redis:` section connects the server to a redis-server this test starts.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server on a free port, without persistence. */
async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  if (spawnSync('redis-server', ['--version']).status !== 0)
    throw new Error('redis-server is not installed: apt-get install -y redis-server');
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (data: Buffer) => {
      output += data;
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${output}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, child };
}

let folder: string;
let redis: { url: string; child: ChildProcess };
let serve: ChildProcess;
let output = '';
let url = '';

const modelIds = async () =>
  ((await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] }).data
    .map((model) => model.id)
    .sort();

const until = async (predicate: () => boolean | Promise<boolean>, what: string) => {
  const deadline = Date.now() + 15_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`build the CLI first (pnpm --filter @llmr/cli build): ${bin}`);
  folder = await mkdtemp(join(tmpdir(), 'llmr-config-watch-'));
  redis = await startRedis();
  await writeFile(
    join(folder, 'llmr.yaml'),
    `models:\n  - { id: first, source: "mock:echo" }\nredis:\n  url: ${redis.url}\n  failMode: open\n`,
  );
  serve = spawn(
    process.execPath,
    [bin, 'serve', '--port', '0', '--config', join(folder, 'llmr.yaml'), '--no-console'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', LLMR_REDIS_URL: '', LLMR_HOME: folder },
    },
  );
  serve.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  serve.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  await until(
    () => / at http:\/\/127\.0\.0\.1:\d+/.test(output) || serve.exitCode !== null,
    'start',
  );
  url = / at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? '';
  if (!url) throw new Error(`llmr serve did not start:\n${output}`);
}, 60_000);

afterAll(async () => {
  serve?.kill('SIGKILL');
  redis?.child.kill('SIGKILL');
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('llmr serve with a config file that is edited while serving', () => {
  it('shares state through the redis: section of the config', async () => {
    // The connection to Redis opens after the server listens (until then it serves in the
    // documented degraded mode), so wait for /ready to report it, within a bound.
    const deadline = Date.now() + 20_000;
    let ready: Record<string, unknown> = {};
    do {
      ready = (await (await fetch(`${url}/ready`)).json()) as Record<string, unknown>;
      if ((ready.shared_state as { mode?: string } | undefined)?.mode === 'redis') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } while (Date.now() < deadline);
    expect(ready).toMatchObject({ status: 'ready', shared_state: { mode: 'redis' } });
  });

  it('keeps serving the old version through broken edits, and applies the next valid one', async () => {
    const file = join(folder, 'llmr.yaml');
    const redisSection = `redis:\n  url: ${redis.url}\n`;
    expect(await modelIds()).toEqual(['first']);

    // Not YAML: an unclosed flow mapping.
    await writeFile(file, `models:\n  - { id: second, source: "mock:echo"\n${redisSection}`);
    await until(() => output.includes('was not applied'), 'the YAML error');
    const yamlError = output.slice(output.indexOf('was not applied'));
    expect(yamlError).toMatch(/line \d+/);
    expect(await modelIds()).toEqual(['first']);

    // YAML, but not a config: a misspelt field.
    output = '';
    await writeFile(file, `models:\n  - { id: second, sorce: "mock:echo" }\n${redisSection}`);
    await until(() => output.includes('was not applied'), 'the schema error');
    expect(output).toMatch(/sorce/);
    expect(output).toMatch(/models\[0\]|models\.0|line 2/);
    expect(await modelIds()).toEqual(['first']);
    const chat = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'first', messages: [{ role: 'user', content: 'still on' }] }),
    });
    expect(chat.status).toBe(200);

    // Fixed: applied.
    output = '';
    await writeFile(file, `models:\n  - { id: second, source: "mock:echo" }\n${redisSection}`);
    await until(() => output.includes('reloaded'), 'the reload');
    expect(output).toMatch(/added second; removed first/);
    expect(await modelIds()).toEqual(['second']);
    expect(serve.exitCode).toBeNull();
  });
});
