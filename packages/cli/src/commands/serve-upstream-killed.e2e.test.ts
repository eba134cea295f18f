/**
 * An upstream that dies (SIGKILL) in the middle of a request. The gateway is `llmr serve
 * --config` with a local model as the fallback; each upstream is a second `llmr serve`
 * process on loopback, reached as `openai-compatible`, whose mock model holds the stream
 * open before or after its first token so the kill lands at a known point. Before the first
 * token the router falls back; after it, the client gets one error and the stream ends
 * (no fallback can splice another model's tokens in), and the gateway keeps serving.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, type Served, serve } from './serve-test-process';

const FALLBACK_REPLY = 'from the local fallback';

let home: string;
const upstreams: Record<'before' | 'after', Served | undefined> = {
  before: undefined,
  after: undefined,
};
let gateway: Served;

async function started(served: Served & { ready: Promise<void> }): Promise<Served> {
  await served.ready;
  return served;
}

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  home = await mkdtemp(join(tmpdir(), 'llmr-upstream-killed-'));
  const env = { LLMR_HOME: home };
  [upstreams.before, upstreams.after] = await Promise.all([
    started(serve(['--model', 'held=mock:random?hang=before-first-token', '--quiet'], env)),
    started(serve(['--model', 'held=mock:random?hang=after-first-token', '--quiet'], env)),
  ]);
  const remote = (id: string, upstream: Served) => [
    `  - id: ${id}`,
    '    provider: openai-compatible',
    '    providerModelId: held',
    `    providerSettings: { baseURL: "${upstream.url}/v1", apiKey: "none", timeoutMs: 60000 }`,
    '    contextLength: 4096',
  ];
  const config = join(home, 'llmr.yaml');
  await writeFile(
    config,
    [
      'models:',
      `  - { id: local, source: "mock:script?reply=${encodeURIComponent(FALLBACK_REPLY)}" }`,
      ...remote('dies-before-first-token', upstreams.before!),
      ...remote('dies-after-first-token', upstreams.after!),
      'routes:',
      '  before-first-token: { fallback: [dies-before-first-token, local] }',
      '  after-first-token: { fallback: [dies-after-first-token, local] }',
      'retry: { maxRetries: 0 }',
      '',
    ].join('\n'),
  );
  gateway = await started(serve(['--config', config, '--default-model', 'local'], env));
}, 120_000);

afterAll(async () => {
  for (const served of [gateway, upstreams.before, upstreams.after]) {
    if (served && served.child.exitCode === null && served.child.signalCode === null) {
      served.child.kill('SIGTERM');
      await served.exited;
    }
  }
  if (home) await rm(home, { recursive: true, force: true });
});

const streamChat = (model: string, content: string) =>
  fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      messages: [{ role: 'user', content }],
      max_tokens: 64,
      stream: true,
    }),
  });

/** Resolves once the upstream has a generation in progress (its own gauge says so). */
async function generationInProgress(upstream: Served): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const metrics = await (await fetch(`${upstream.url}/metrics`)).text();
    const match = /^llmr_in_flight_requests(?:\{[^}]*\})? (\d+)/m.exec(metrics);
    if (match && Number(match[1]) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the upstream at ${upstream.url} never had a request in flight`);
}

async function killed(upstream: Served): Promise<void> {
  upstream.child.kill('SIGKILL');
  await upstream.exited;
}

/** The `data:` payloads of an SSE body, read to its end. */
async function readEvents(reader: ReadableStreamDefaultReader<Uint8Array>, buffered = '') {
  const decoder = new TextDecoder();
  let text = buffered;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text
    .split(/\r?\n\r?\n/)
    .map((block) => /^data: ?(.*)$/m.exec(block)?.[1])
    .filter((data): data is string => data !== undefined);
}

describe('an upstream killed during a request', () => {
  it('before the first token: the request falls back to the local model and succeeds', async () => {
    const pending = streamChat('before-first-token', 'hello');
    await generationInProgress(upstreams.before!);
    await killed(upstreams.before!);
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-llmr-model')).toBe('local');
    expect(response.headers.get('x-llmr-attempts')).toBe('2');
    const events = await readEvents(response.body!.getReader());
    const text = events
      .filter((data) => data !== '[DONE]')
      .map(
        (data) =>
          (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta
            ?.content ?? '',
      )
      .join('');
    expect(text).toBe(FALLBACK_REPLY);
    expect(events.at(-1)).toBe('[DONE]');
  });

  it('after the first token: one error event ends the stream, no fallback, and the gateway keeps serving', async () => {
    const response = await streamChat('after-first-token', 'hello');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-llmr-model')).toBe('dies-after-first-token');
    const reader = response.body!.getReader();
    // Read until the first content token has reached the client.
    const decoder = new TextDecoder();
    let head = '';
    while (!/"content":"[^"]/.test(head)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before its first token:\n${head}`);
      head += decoder.decode(value, { stream: true });
    }
    await killed(upstreams.after!);
    const events = await readEvents(reader, head);
    const errors = events.filter((data) => data !== '[DONE]' && 'error' in JSON.parse(data));
    expect(errors).toHaveLength(1);
    // The error is the stream's last word: only the terminating [DONE] follows it.
    expect(events.slice(events.indexOf(errors[0]!) + 1)).toEqual(['[DONE]']);
    expect(JSON.parse(errors[0]!)).toMatchObject({ error: { code: 'upstream_error' } });
    expect(events.join('\n')).not.toContain(FALLBACK_REPLY);

    // The gateway is still up: a request to its local model succeeds.
    const followUp = await streamChat('local', 'still there?');
    expect(followUp.status).toBe(200);
    const followUpEvents = await readEvents(followUp.body!.getReader());
    expect(followUpEvents.at(-1)).toBe('[DONE]');
    expect(gateway.child.exitCode).toBeNull();
  });
});
