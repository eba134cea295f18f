/**
 * For tests: `llmr serve` (the built dist/bin.js) as a child process on a free loopback
 * port, and a port nothing listens on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export interface Served {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

export function serve(
  args: string[],
  env: Record<string, string> = {},
): Served & { ready: Promise<void> } {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const served = { child, url: '', output: () => output, exited } as Served;
  const ready = (async () => {
    // A plain loop, not expect.poll: this also runs in beforeAll.
    const deadline = Date.now() + 60_000;
    let match = / at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    while (!match && child.exitCode === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      match = / at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    }
    if (!match) throw new Error(`llmr serve did not start:\n${output}`);
    served.url = match[1]!;
  })();
  return Object.assign(served, { ready });
}

export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
