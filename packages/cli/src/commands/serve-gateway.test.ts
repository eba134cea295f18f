/**
 * `llmr serve --config` with a `gateway:` section, as a user runs it (the built binary):
 * requests need a gateway key, are charged to it, and the database is whole after a stop;
 * a gRPC port starts beside it (its calls are metered: server-grpc's gateway-calls.test.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGateway } from '@llmr/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'llmr-serve-gateway-'));
const database = `pglite:${join(dir, 'gateway-db')}`;

describe('llmr serve with a gateway section', () => {
  beforeAll(() => {
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('requires a gateway key, charges it, and releases the database on stop', async () => {
    const setup = await createGateway({ database });
    await setup.tenants.create({ name: 'team', policy: { models: ['echo'] } });
    const { key, record } = await setup.keys.create({ tenant: 'team' });
    await setup.close();
    const config = join(dir, 'serve.yaml');
    writeFileSync(
      config,
      `models:\n  - id: echo\n    source: mock:echo\ngateway:\n  database: ${database}\n  prices:\n    echo: { inputPerMillion: 1000000, outputPerMillion: 0 }\n`,
    );

    const child = spawn(
      process.execPath,
      [bin, 'serve', '--config', config, '--port', '0', '--quiet'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LLMR_HOME: dir, NO_COLOR: '1' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await expect
        .poll(() => /serving .* at (http:\/\/\S+)/.exec(stderr), {
          timeout: 240_000,
          interval: 200,
        })
        .toBeTruthy();
      expect(stderr).toMatch(/gateway on: PGlite /);
      const url = /serving .* at (http:\/\/\S+)/.exec(stderr)?.[1] as string;
      const ask = (headers: Record<string, string>) =>
        fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
        });
      expect((await ask({})).status).toBe(401);
      const answer = await ask({ authorization: `Bearer ${key}` });
      expect(answer.status).toBe(200);
      expect(
        ((await answer.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]
          ?.message.content,
      ).toBe('hi');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);

    const reopened = await createGateway({ database });
    try {
      const [usage] = await reopened.usage.query({ keyId: record.id });
      expect(usage).toMatchObject({ model: 'echo', requests: 1 });
      expect(usage?.costUsd).toBe(usage?.inputTokens);
      expect((await reopened.audit.verify()).ok).toBe(true);
    } finally {
      await reopened.close();
    }
  }, 600_000);

  it('starts gRPC with the gateway on instead of refusing the port', async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--model',
        'echo=mock:echo',
        '--gateway',
        database,
        '--port',
        '0',
        '--grpc-port',
        '0',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LLMR_HOME: dir, NO_COLOR: '1' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await expect
        .poll(() => /gRPC \(llmr\.v1, health, reflection\) at \S+:(\d+)/.exec(stderr), {
          timeout: 240_000,
          interval: 200,
        })
        .toBeTruthy();
      expect(stderr).toMatch(/gateway on: PGlite /);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 600_000);
});
