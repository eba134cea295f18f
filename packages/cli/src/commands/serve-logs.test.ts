/** `llmr serve` as a user runs it (the built binary): its request log through a pipe. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** Serves mock:echo, calls /health once, stops it; returns what it printed on stdout. */
async function serveOnce(...flags: string[]): Promise<string[]> {
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--model', 'echo=mock:echo', '--port', '0', ...flags],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await expect.poll(() => /at (http:\/\/\S+)/.exec(stderr), { timeout: 30_000 }).toBeTruthy();
    const url = /at (http:\/\/\S+)/.exec(stderr)![1]!;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    await expect.poll(() => stdout.includes('/health'), { timeout: 5_000 }).toBe(true);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  return stdout.split('\n').filter(Boolean);
}

describe('llmr serve logs', () => {
  beforeAll(() => {
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  });

  it('writes JSON lines when stdout is not a terminal', async () => {
    const lines = await serveOnce();
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    // One access line per request, written when it is answered.
    const health = records.filter(
      (record) => (record.req as { url?: string } | undefined)?.url === '/health',
    );
    expect(health).toEqual([
      expect.objectContaining({
        msg: 'request completed',
        req: expect.objectContaining({ method: 'GET', url: '/health' }),
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
  });

  it('writes readable request lines with --log-format pretty, and refuses an unknown format', async () => {
    const lines = await serveOnce('--log-format', 'pretty');
    expect(lines.filter((line) => line.includes('-->'))).toEqual([]);
    expect(lines).toContainEqual(
      expect.stringMatching(/ INFO {2}<-- GET \/health 200 \d+\.\d ms$/),
    );
    const refused = spawn(process.execPath, [bin, 'serve', '--log-format', 'xml'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    refused.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => refused.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toContain('--log-format must be "pretty" or "json"; got "xml"');
  });
});
