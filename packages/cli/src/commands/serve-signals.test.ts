/** `llmr serve` stopping: SIGTERM drains in-flight requests; a second SIGTERM exits at once. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

describe('llmr serve signals', () => {
  beforeAll(() => {
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  });

  it('exits at once on a second SIGTERM while a stream is still draining', async () => {
    const child = spawn(
      process.execPath,
      // 200 ms a token: the stream below would run for minutes.
      [bin, 'serve', '--model', 'slow=mock:random?tokenMs=200', '--port', '0', '--quiet'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await expect.poll(() => /at (http:\/\/\S+)/.exec(stderr), { timeout: 30_000 }).toBeTruthy();
    const url = /at (http:\/\/\S+)/.exec(stderr)![1]!;
    const response = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow', prompt: 'x', max_tokens: 1000, stream: true }),
    });
    const reader = response.body!.getReader();
    await reader.read(); // The stream is under way.
    child.kill('SIGTERM');
    await expect.poll(() => stderr.includes('finishing in-flight'), { timeout: 5_000 }).toBe(true);
    const second = Date.now();
    child.kill('SIGTERM');
    // Without the second-signal exit it would wait for the 10 s drain deadline.
    expect(await exited).toBe(1);
    expect(Date.now() - second).toBeLessThan(5_000);
    expect(stderr).toMatch(/SIGTERM again/);
    await reader.cancel().catch(() => {});
  });

  it('refuses an unknown --redis-fail-mode', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--redis-fail-mode', 'sideways'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/--redis-fail-mode must be open or closed/);
  });
});
