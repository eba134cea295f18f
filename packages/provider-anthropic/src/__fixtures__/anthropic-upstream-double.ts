/**
 * A test double of Anthropic's Messages API (the real one cannot be reached from tests):
 * a real node:http server on 127.0.0.1 speaking `POST /v1/messages` in Anthropic's wire
 * format over a mock model from @llmr/loader-mock. It checks `x-api-key` and
 * `anthropic-version`, applies stop sequences itself (so it can name the one that hit),
 * counts tokens as UTF-8 bytes, and writes SSE in awkward pieces (split lines, CRLF,
 * `ping`s). The model name picks a failure to inject:
 *
 *   fault-529              always 529 overloaded_error (retry-after: 1)
 *   fault-429-once         429 rate_limit_error (retry-after: 1, retry-after-ms: 40) on the first call per name
 *   fault-500              always 500 api_error
 *   fault-400              always 400 invalid_request_error
 *   fault-malformed        a stream whose second text delta is not JSON
 *   fault-drop             a stream whose connection is destroyed after a few deltas
 *   fault-overloaded-midstream  an `error` event (overloaded_error) after a few deltas
 *   fault-hang             never answers (until the client goes away)
 *   fault-no-stop          a stream that ends after message_delta without message_stop
 *   tools                  some text, then a `get_weather` tool_use block
 *   echo                   repeats the last user text
 *   anything else          seeded random text (the name is mixed into the seed)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  createStopSequenceMatcher,
  hashString,
  type ModelV1,
  type ModelV1Message,
} from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';

export interface AnthropicUpstreamDouble {
  baseURL: string;
  requests: { path: string; body: Body; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: request bodies of a test double, read loosely on purpose.
type Body = Record<string, any>;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

function modelFor(name: string): ModelV1 {
  if (name === 'echo') return createMockModel({ id: name, mode: 'echo' });
  if (name === 'fault-drop' || name === 'fault-overloaded-midstream')
    return createMockModel({ id: name, mode: 'script', replies: ['abcdefghijklmnopqrstuvwxyz'] });
  return createMockModel({ id: name, mode: 'random', seed: hashString(name) });
}

/** Anthropic content (a string or blocks) -> plain text, the way the mock model reads it. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: Body) =>
      block.type === 'text'
        ? block.text
        : block.type === 'tool_result'
          ? String(typeof block.content === 'string' ? block.content : textOf(block.content))
          : '',
    )
    .join('');
}

function messagesOf(body: Body): ModelV1Message[] {
  const system = typeof body.system === 'string' ? body.system : textOf(body.system);
  return [
    ...(system ? [{ role: 'system' as const, content: system }] : []),
    ...(body.messages as Body[]).map((message) => ({
      role: message.role as 'user' | 'assistant',
      content: textOf(message.content),
    })),
  ];
}

function sendError(
  response: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, {
    'content-type': 'application/json',
    'request-id': 'req_double',
    ...headers,
  });
  response.end(JSON.stringify({ type: 'error', error: { type, message } }));
}

/** Writes SSE awkwardly: each event split in two writes, alternating LF and CRLF, pings between. */
function createSSEWriter(response: ServerResponse) {
  let count = 0;
  const write = (type: string, data: Body) => {
    const newline = count++ % 2 === 0 ? '\n' : '\r\n';
    const text = `event: ${type}${newline}data: ${JSON.stringify({ type, ...data })}${newline}${newline}`;
    const cut = Math.max(1, Math.floor(text.length / 2));
    response.write(text.slice(0, cut));
    response.write(text.slice(cut));
  };
  return {
    event(type: string, data: Body = {}) {
      write(type, data);
      if (count % 4 === 0) write('ping', {});
    },
    raw(text: string) {
      response.write(text);
    },
  };
}

async function readBody(request: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Body;
}

/** The mock's text, cut at max_tokens deltas or at the first stop sequence. */
async function* generate(
  model: ModelV1,
  body: Body,
  signal: AbortSignal,
): AsyncGenerator<string, { stopReason: string; stopSequence?: string }> {
  const matcher = createStopSequenceMatcher(body.stop_sequences ?? []);
  const { stream } = await model.doStream({
    messages: messagesOf(body),
    maxTokens: body.max_tokens,
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...(body.metadata?.seed !== undefined ? { seed: body.metadata.seed } : {}),
    abortSignal: signal,
  });
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value: part } = await reader.read();
      if (done) break;
      if (part.type === 'text-delta') {
        const result = matcher.push(part.delta);
        if (result.text) yield result.text;
        if (result.stopped)
          return { stopReason: 'stop_sequence', stopSequence: result.stopSequence ?? '' };
      } else if (part.type === 'finish') {
        const tail = matcher.flush();
        if (tail) yield tail;
        return { stopReason: part.finishReason === 'length' ? 'max_tokens' : 'end_turn' };
      } else if (part.type === 'error') throw part.error;
    }
    return { stopReason: 'end_turn' };
  } finally {
    void reader.cancel().catch(() => {});
  }
}

const TOOL_INPUT = '{"city":"Paris","unit":"celsius"}';

export async function startAnthropicUpstreamDouble(
  options: { apiKey?: string } = {},
): Promise<AnthropicUpstreamDouble> {
  const apiKey = options.apiKey ?? 'test-key';
  const models = new Map<string, ModelV1>();
  const seen429 = new Set<string>();
  const requests: AnthropicUpstreamDouble['requests'] = [];
  const sockets = new Set<Socket>();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '').split('?')[0]!;
    if (request.method !== 'POST' || path !== '/v1/messages')
      return sendError(response, 404, 'not_found_error', `No route ${request.method} ${path}.`);
    if (request.headers['x-api-key'] !== apiKey)
      return sendError(response, 401, 'authentication_error', 'invalid x-api-key');
    if (!request.headers['anthropic-version'])
      return sendError(
        response,
        400,
        'invalid_request_error',
        'anthropic-version header is required',
      );
    const body = await readBody(request);
    requests.push({ path, body, headers: request.headers });
    if (typeof body.max_tokens !== 'number')
      return sendError(response, 400, 'invalid_request_error', 'max_tokens: Field required');
    const name = String(body.model ?? '');
    const abort = new AbortController();
    response.on('close', () => abort.abort());

    if (name === 'fault-529')
      return sendError(response, 529, 'overloaded_error', 'Overloaded', { 'retry-after': '1' });
    if (name === 'fault-500') return sendError(response, 500, 'api_error', 'Internal server error');
    if (name === 'fault-400')
      return sendError(response, 400, 'invalid_request_error', 'messages: roles must alternate');
    if (name.startsWith('fault-429') && !seen429.has(name)) {
      seen429.add(name);
      return sendError(
        response,
        429,
        'rate_limit_error',
        'Number of requests has exceeded your rate limit',
        {
          'retry-after': '1',
          'retry-after-ms': '40',
        },
      );
    }
    if (name === 'fault-hang') return; // Never answers; the client's abort or timeout ends it.

    const id = `msg_double_${requests.length}`;
    const inputTokens = messagesOf(body).reduce((sum, message) => sum + bytes(message.content), 0);
    const model = models.get(name) ?? modelFor(name);
    models.set(name, model);

    if (!body.stream) {
      const content: Body[] = [];
      let text = '';
      let outputTokens = 0;
      const run = generate(model, body, abort.signal);
      let step = await run.next();
      for (; !step.done; step = await run.next()) {
        text += step.value;
        outputTokens++;
      }
      if (text) content.push({ type: 'text', text });
      if (name === 'tools') {
        content.push({
          type: 'tool_use',
          id: 'toolu_double_1',
          name: 'get_weather',
          input: JSON.parse(TOOL_INPUT),
        });
        outputTokens += bytes(TOOL_INPUT);
      }
      response.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_double' });
      return response.end(
        JSON.stringify({
          id,
          type: 'message',
          role: 'assistant',
          model: name,
          content,
          stop_reason: name === 'tools' ? 'tool_use' : step.value.stopReason,
          stop_sequence: step.value.stopSequence ?? null,
          usage: { input_tokens: inputTokens, output_tokens: outputTokens },
        }),
      );
    }

    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const sse = createSSEWriter(response);
    sse.event('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: name,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: 1 },
      },
    });
    sse.event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    let outputTokens = 0;
    const run = generate(model, body, abort.signal);
    let step = await run.next();
    for (; !step.done; step = await run.next()) {
      if (response.destroyed) return;
      outputTokens++;
      if (name === 'fault-malformed' && outputTokens === 2) {
        sse.raw('event: content_block_delta\ndata: {"type": "content_block_delta", "delta": {\n\n');
        continue;
      }
      if (name === 'fault-drop' && outputTokens === 4) {
        // Let what was written reach the client, then cut the connection.
        await new Promise((resolve) => setTimeout(resolve, 30));
        response.socket?.destroy();
        return;
      }
      if (name === 'fault-overloaded-midstream' && outputTokens === 5) {
        sse.event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
        return response.end();
      }
      sse.event('content_block_delta', {
        index: 0,
        delta: { type: 'text_delta', text: step.value },
      });
    }
    sse.event('content_block_stop', { index: 0 });
    let stopReason = step.value.stopReason;
    if (name === 'tools') {
      sse.event('content_block_start', {
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_double_1', name: 'get_weather', input: {} },
      });
      for (const piece of [TOOL_INPUT.slice(0, 7), TOOL_INPUT.slice(7, 20), TOOL_INPUT.slice(20)])
        sse.event('content_block_delta', {
          index: 1,
          delta: { type: 'input_json_delta', partial_json: piece },
        });
      sse.event('content_block_stop', { index: 1 });
      outputTokens += bytes(TOOL_INPUT);
      stopReason = 'tool_use';
    }
    sse.event('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: step.value.stopSequence ?? null },
      usage: { output_tokens: outputTokens },
    });
    if (name !== 'fault-no-stop') sse.event('message_stop');
    response.end();
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      if (!response.headersSent) sendError(response, 500, 'api_error', String(error));
      else response.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
