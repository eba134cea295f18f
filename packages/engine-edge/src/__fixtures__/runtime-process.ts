/** Starts an edge runtime's binary as a child process on loopback and stops it after. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The binary an npm package installs (deno, bun, workerd), from this package's node_modules. */
export function binaryOf(name: 'deno' | 'bun' | 'workerd'): string {
  const packageJson = require.resolve(`${name}/package.json`);
  const bin = name === 'workerd' ? 'bin/workerd' : name === 'deno' ? 'deno' : 'bin/bun.exe';
  return join(dirname(packageJson), bin);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface RuntimeProcess {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

export function startProcess(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  } satisfies RuntimeProcess;
}

/** Waits until the output matches (e.g. a "listening" line), failing with the output so far. */
export async function waitForOutput(run: RuntimeProcess, pattern: RegExp, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(run.output());
    if (match) return match;
    if (run.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`The runtime did not print ${pattern}; its output:\n${run.output()}`);
}

/** Waits until a TCP port accepts connections. */
export async function waitForPort(run: RuntimeProcess, port: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (run.child.exitCode !== null) break;
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The runtime never listened on ${port}; its output:\n${run.output()}`);
}

/** Posts a prompt and parses the SSE answer into its parts. */
export async function generateOver(base: string, body: unknown) {
  const response = await fetch(`${base}/v1/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const parts = text
    .split('\n\n')
    .filter((event) => event.startsWith('data: ') && event !== 'data: [DONE]')
    .map((event) => JSON.parse(event.slice(6)) as { type: string; tokens?: number[] });
  const tokens = parts.flatMap((part) => (part.type === 'text-delta' ? (part.tokens ?? []) : []));
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
    parts,
    tokens,
  };
}
