/**
 * An OTLP/HTTP receiver for the benches, in a process of its own so that its work counts
 * for no server measured: it answers each export with an empty response in the request's
 * encoding (protobuf or JSON) and counts the bytes it was sent (a GET answers the count).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const SINK = `let bytes = 0; require('node:http').createServer((q, s) => { q.on('data', (c) => (bytes += c.length)); q.on('end', () => q.method === 'GET' ? s.end(String(bytes)) : String(q.headers['content-type']).startsWith('application/json') ? s.writeHead(200, { 'content-type': 'application/json' }).end('{}') : s.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

export interface OtlpSink {
  /** The traces URL to export to. */
  endpoint: string;
  /** Bytes received so far. */
  exportedBytes(): Promise<number>;
  stop(): void;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [portLine] = (await once(child.stdout!, 'data')) as [Buffer];
  const endpoint = `http://127.0.0.1:${portLine.toString().trim()}/v1/traces`;
  return {
    endpoint,
    exportedBytes: async () => Number(await (await fetch(endpoint)).text()),
    stop: () => child.kill('SIGTERM'),
  };
}
