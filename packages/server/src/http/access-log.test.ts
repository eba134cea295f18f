import { describe, expect, it } from 'vitest';
import { createTestServer } from '../__fixtures__/test-server';

type LogRecord = Record<string, unknown> & {
  reqId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
};

async function logged(
  run: (inject: Awaited<ReturnType<typeof createTestServer>>['app']['inject']) => Promise<unknown>,
) {
  const lines: string[] = [];
  const server = await createTestServer({
    logger: { stream: { write: (line: string) => lines.push(line) } },
  });
  await run(server.app.inject.bind(server.app));
  return lines.map((line) => JSON.parse(line) as LogRecord);
}

describe('access log', () => {
  it('writes one line per request, when it is answered, with the request, status and time', async () => {
    const records = await logged(async (inject) => {
      const answer = await inject({
        method: 'POST',
        url: '/v1/chat/completions?api_key=hidden',
        payload: { model: 'echo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 },
      });
      expect(answer.statusCode).toBe(200);
      expect((await inject({ method: 'GET', url: '/v1/nothing-here' })).statusCode).toBe(404);
    });
    const requests = records.filter((record) => record.reqId !== undefined);
    expect(requests.map((record) => record.msg)).not.toContain('incoming request');
    const completed = requests.filter((record) => record.msg === 'request completed');
    expect(completed).toHaveLength(2);
    expect(completed[0]).toMatchObject({
      level: 30,
      req: { method: 'POST', url: '/v1/chat/completions?api_key=[REDACTED]' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    expect(completed[1]).toMatchObject({
      req: { method: 'GET', url: '/v1/nothing-here' },
      res: { statusCode: 404 },
    });
    expect(JSON.stringify(records)).not.toContain('hidden');
  });

  it('writes nothing per request above the info level', async () => {
    const lines: string[] = [];
    const server = await createTestServer({
      logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } },
    });
    await server.app.inject({ method: 'GET', url: '/health' });
    expect(lines.filter((line) => line.includes('"reqId"'))).toEqual([]);
  });
});
