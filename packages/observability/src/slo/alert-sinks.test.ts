import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogAlertSink, createWebhookAlertSink, type SloAlert } from './alert-sinks';

const alert: SloAlert = {
  state: 'firing',
  rule: 'fast-burn',
  severity: 'page',
  slo: 'availability',
  series: 'availability{}',
  labels: {},
  burnRateThreshold: 14.4,
  longWindow: { ms: 3_600_000, burnRate: 15 },
  shortWindow: { ms: 300_000, burnRate: 20 },
  errorBudgetRemaining: 0.5,
  at: 1_000,
};

describe('webhook alert sink (real HTTP server on loopback)', () => {
  const received: { path: string; body: unknown }[] = [];
  let failuresLeft = 0;
  let base = '';
  let directory = '';
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/broken' || failuresLeft-- > 0) {
        response.writeHead(503).end();
        return;
      }
      if (request.url === '/rejects') {
        response.writeHead(400).end();
        return;
      }
      received.push({ path: request.url ?? '', body: JSON.parse(body) });
      response.writeHead(204).end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    directory = await mkdtemp(join(tmpdir(), 'llmr-alerts-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(directory, { recursive: true, force: true });
  });

  it('retries with doubling backoff until the webhook accepts', async () => {
    failuresLeft = 2;
    const waits: number[] = [];
    const sink = createWebhookAlertSink({
      url: `${base}/ok`,
      backoffMs: 100,
      sleep: async (milliseconds) => void waits.push(milliseconds),
    });
    await sink(alert);
    expect(waits).toEqual([100, 200]);
    expect(received.at(-1)).toEqual({ path: '/ok', body: alert });
  });

  it('writes an alert it could not deliver to the dead-letter file', async () => {
    const deadLetterPath = join(directory, 'dead-letter.jsonl');
    const waits: number[] = [];
    const sink = createWebhookAlertSink({
      url: `${base}/broken`,
      retries: 2,
      deadLetterPath,
      sleep: async (milliseconds) => void waits.push(milliseconds),
    });
    await sink(alert);
    await sink({ ...alert, state: 'resolved' });
    expect(waits).toEqual([500, 1000, 500, 1000]);
    const lines = (await readFile(deadLetterPath, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.alert.state)).toEqual(['firing', 'resolved']);
    expect(lines[0].error).toBe('The webhook answered HTTP 503.');
  });

  it('does not retry a 400: the request itself is wrong', async () => {
    const waits: number[] = [];
    const dead: unknown[] = [];
    const sink = createWebhookAlertSink({
      url: `${base}/rejects`,
      sleep: async (milliseconds) => void waits.push(milliseconds),
      onDeadLetter: (failed) => dead.push(failed),
    });
    await sink(alert);
    expect(waits).toEqual([]);
    expect(dead).toEqual([alert]);
  });
});

describe('log alert sink', () => {
  it('warns when an alert fires and informs when it resolves', () => {
    const lines: [string, object, string][] = [];
    const sink = createLogAlertSink({
      warn: (payload, message) => lines.push(['warn', payload, message]),
      info: (payload, message) => lines.push(['info', payload, message]),
    });
    sink(alert);
    sink({ ...alert, state: 'resolved' });
    expect(lines.map(([level]) => level)).toEqual(['warn', 'info']);
    expect(lines[0]?.[2]).toBe(
      'SLO availability availability{}: fast-burn firing (burn 15.0x over 60 min, 20.0x over 5 min)',
    );
  });
});
