/** A GraphQL `generate` mutation over HTTP stops generating when its client hangs up. */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startServer } from '../__fixtures__/test-server';

describe('GraphQL generate and client disconnects', () => {
  it('aborts the generation when the HTTP client closes the connection', async () => {
    const { server, url } = await startServer();
    const target = new URL('/graphql', url);
    // 1000 tokens at 20 ms each: 20 s if nothing stops it.
    const body = JSON.stringify({
      query:
        'mutation { generate(input: { model: "slow", prompt: "x", maxTokens: 1000 }) { text } }',
    });
    const request = httpRequest({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('error', () => {}); // The hang-up below is the test.
    request.end(body);
    await expect
      .poll(() => server.inFlight().map((entry) => entry.route), { timeout: 5_000 })
      .toEqual(['graphql.generate']);
    request.destroy();
    await expect.poll(() => server.inFlight().length, { timeout: 5_000 }).toBe(0);
    const metrics = await (await fetch(new URL('/metrics', url))).text();
    expect(metrics).toMatch(
      /llmr_http_requests_total\{route="graphql\.generate",model="slow",status="499"\} 1/,
    );
  });
});
