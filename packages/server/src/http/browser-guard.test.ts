import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createTestServer, startServer } from '../__fixtures__/test-server';

/** A raw request, so the Host header is exactly what a rebinding page would send. */
function get(url: string, host: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, path: '/v1/models', headers: { host } },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('browser guard', () => {
  it('answers only loopback Host names when listening on loopback (DNS rebinding)', async () => {
    const { url } = await startServer({ allowedHosts: ['llmr.internal'] });
    const port = new URL(url).port;
    const rebound = await get(url, `evil.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.code).toBe('host_not_allowed');
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'llmr.internal'])
      expect((await get(url, host)).status).toBe(200);
  });

  it('refuses state-changing requests a page could send without a preflight', async () => {
    const server = await createTestServer();
    const body = JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'x' }] });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: body,
        headers: type ? { 'content-type': type } : {},
      });
      expect(response.statusCode).toBe(415);
      expect(response.json().error.message).toMatch(/application\/json/);
    }
    // A bodiless POST (load a model) is refused too, unless it carries a custom header.
    expect(
      (await server.app.inject({ method: 'POST', url: '/api/models/writer/load' })).statusCode,
    ).toBe(415);
    const loaded = await server.app.inject({
      method: 'POST',
      url: '/api/models/writer/load',
      headers: { 'x-llmr-request': '1' },
    });
    expect(loaded.statusCode).toBe(200);
    const json = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: body,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(json.statusCode).toBe(200);
  });
});
