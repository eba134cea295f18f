/**
 * A real redis-server on a free port, for the shared-state tests: started by the test,
 * stopped and restarted on the same port to test outages. Fails with what to install
 * when redis-server is missing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

export interface RedisProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisProcess> {
  if (spawnSync('redis-server', ['--version']).status !== 0)
    throw new Error(
      'redis-server is not installed: the shared-state tests start their own. Install it with `apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis`.',
    );
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = redis;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('redis-server did not start in 10 s')),
        10_000,
      );
      let output = '';
      redis.stdout!.on('data', (data: Buffer) => {
        output += data.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      redis.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  };
  const stop = async () => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null) return;
    current.kill('SIGKILL');
    await once(current, 'exit');
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, start, stop };
}
