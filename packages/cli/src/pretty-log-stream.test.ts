/** The pretty log lines, from a real server's request log, and the format choice. */
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer } from '@llmr/server';
import { describe, expect, it } from 'vitest';
import { serverLoggerOptions } from './log-format';
import { createPrettyLogStream } from './pretty-log-stream';

function capture(isTTY: boolean) {
  const lines: string[] = [];
  const stdout = {
    isTTY,
    write(text: string) {
      lines.push(...text.split('\n').filter(Boolean));
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stdout, lines };
}

describe('llmr serve logs', () => {
  it('forced pretty: one readable line per request, when it is answered, with the status', async () => {
    const { stdout, lines } = capture(false);
    const router = createRouter({
      loaders: [createMockLoader()],
      models: [{ id: 'echo', source: 'mock:echo' }],
    });
    const backend = createRouterBackend(router, { defaultModel: 'echo' });
    const server = await createServer({
      backend,
      apiKeys: [],
      logger: serverLoggerOptions({ format: 'pretty', level: 'info', stdout }),
    });
    try {
      const response = await server.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'echo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 },
      });
      expect(response.statusCode).toBe(200);
      await server.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    } finally {
      await server.shutdown();
    }
    expect(lines.some((line) => line.startsWith('{'))).toBe(false);
    // One access line per request: none when it comes in.
    expect(lines.filter((line) => line.includes('-->'))).toEqual([]);
    expect(lines.filter((line) => line.includes('<-- POST /v1/chat/completions'))).toHaveLength(1);
    expect(lines).toContainEqual(
      expect.stringMatching(/ INFO {2}<-- POST \/v1\/chat\/completions 200 \d+\.\d ms$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/<-- GET \/v1\/nothing-here 404 /));
    // Not a terminal and no FORCE_COLOR: no escape codes.
    expect(lines.join('\n')).not.toContain('\u001b[');
  });

  it('colors levels and statuses when asked, and passes on lines that are not JSON', () => {
    const { stdout, lines } = capture(true);
    const stream = createPrettyLogStream({ output: stdout, colors: true });
    stream.write(
      `${JSON.stringify({ level: 30, time: 0, reqId: 'a', req: { method: 'GET', url: '/health' }, msg: 'incoming request' })}\n`,
    );
    stream.write(
      `${JSON.stringify({ level: 30, time: 0, reqId: 'a', res: { statusCode: 503 }, responseTime: 1.25, msg: 'request completed' })}\nplain text\n`,
    );
    expect(lines[1]).toContain('<--\u001b[0m GET /health \u001b[31m503\u001b[0m 1.3 ms');
    expect(lines[0]).toContain('\u001b[32mINFO ');
    expect(lines[2]).toBe('plain text');
  });

  it('reads the request from the access line itself when it carries one', () => {
    const { stdout, lines } = capture(false);
    const stream = createPrettyLogStream({ output: stdout, colors: false });
    stream.write(
      `${JSON.stringify({ level: 30, time: 0, reqId: 'b', req: { method: 'POST', url: '/v1/completions' }, res: { statusCode: 200 }, responseTime: 2, msg: 'request completed' })}\n`,
    );
    expect(lines).toEqual(['00:00:00.000 INFO  <-- POST /v1/completions 200 2.0 ms']);
  });

  it('picks JSON when stdout is not a terminal, pretty when it is, unless told', () => {
    expect(serverLoggerOptions({ level: 'info', stdout: capture(false).stdout })).toEqual({
      level: 'info',
    });
    expect(
      serverLoggerOptions({ level: 'info', stdout: capture(true).stdout, environment: {} }),
    ).toHaveProperty('stream');
    expect(
      serverLoggerOptions({ format: 'json', level: 'warn', stdout: capture(true).stdout }),
    ).toEqual({ level: 'warn' });
  });
});
