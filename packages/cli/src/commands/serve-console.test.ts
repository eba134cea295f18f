/** `llmr serve` as a user runs it (the built binary): the web console at / on loopback. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** Serves mock:echo with `flags`, runs `check` against its URL, stops it. */
async function withServe(flags: string[], check: (url: string) => Promise<void>) {
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--model', 'echo=mock:echo', '--port', '0', '--quiet', ...flags],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await expect.poll(() => /at (http:\/\/\S+)/.exec(stderr), { timeout: 30_000 }).toBeTruthy();
    await check(/at (http:\/\/\S+)/.exec(stderr)![1]!);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  return stderr;
}

describe('llmr serve web console', () => {
  beforeAll(() => {
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  });

  it('serves the console at / by default on 127.0.0.1, and its assets', async () => {
    const stderr = await withServe([], async (url) => {
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const html = await page.text();
      expect(html).toContain('<title>llmr console</title>');
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeTruthy();
      const asset = await fetch(`${url}/${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toContain('text/javascript');
      expect((await fetch(`${url}/assets/missing.js`)).status).toBe(404);
    });
    expect(stderr).toContain('console: http://127.0.0.1:');
  });

  it('serves no console with --no-console', async () => {
    const stderr = await withServe(['--no-console'], async (url) => {
      expect((await fetch(`${url}/`)).status).toBe(404);
      expect((await fetch(`${url}/health`)).status).toBe(200);
    });
    expect(stderr).not.toContain('console:');
  });
});
