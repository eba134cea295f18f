/**
 * A test double of an OpenAI-compatible upstream (vLLM, llama-server, OpenAI): a real
 * node:http server on 127.0.0.1 speaking /v1/chat/completions, /v1/completions,
 * /v1/embeddings and /v1/models over a mock model from @llmr/loader-mock. It writes
 * SSE in awkward pieces (split lines, CRLF, comments) on purpose, and the model name
 * picks a failure to inject:
 *
 *   fault-500              always 500 with a JSON error
 *   fault-429-once         429 (Retry-After: 1, retry-after-ms: 40) on the first call per model name, then normal
 *   fault-malformed        a stream whose second event is not JSON
 *   fault-drop             a stream whose connection is destroyed after a few tokens
 *   fault-midstream-error  a stream with an `error` event after a few tokens
 *   fault-hang             never answers (until the client goes away)
 *   fault-no-done          a normal stream that ends without `data: [DONE]`
 *   tools                  streams (or returns) a `get_weather` tool call
 *   echo                   repeats the last user message
 *   anything else          seeded random text (the name is mixed into the seed)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelV1, ModelV1CallOptions, ModelV1Message, ModelV1StreamPart } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';

export interface UpstreamDouble {
  baseURL: string;
  /** Requests received, in order (path and model). */
  requests: {
    path: string;
    model?: string;
    body: Record<string, unknown>;
    headers: IncomingMessage['headers'];
  }[];
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: request bodies of a test double, read loosely on purpose.
type Body = Record<string, any>;

function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++)
    value = Math.imul(value ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return value;
}

function modelFor(name: string): ModelV1 {
  if (name === 'echo') return createMockModel({ id: name, mode: 'echo' });
  if (name === 'fault-drop' || name === 'fault-midstream-error')
    return createMockModel({
      id: name,
      mode: 'script',
      replies: ['abcdefghijklmnopqrstuvwxyz'],
      failAfterTokens: name === 'fault-midstream-error' ? 4 : undefined,
    });
  return createMockModel({ id: name, mode: 'random', seed: hash(name) });
}

function callOptions(body: Body, chat: boolean, signal: AbortSignal): ModelV1CallOptions {
  const base = {
    ...(body.max_tokens !== undefined ? { maxTokens: body.max_tokens } : {}),
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...(body.top_p !== undefined ? { topP: body.top_p } : {}),
    ...(body.seed !== undefined ? { seed: body.seed } : {}),
    ...(body.stop !== undefined
      ? { stopSequences: Array.isArray(body.stop) ? body.stop : [body.stop] }
      : {}),
    ...(body.logprobs !== undefined && body.logprobs !== false ? { logprobs: true } : {}),
    abortSignal: signal,
  };
  if (!chat) return { ...base, prompt: String(body.prompt) };
  const messages: ModelV1Message[] = (body.messages as Body[]).map((message) =>
    message.role === 'tool'
      ? { role: 'tool', toolCallId: message.tool_call_id, content: message.content }
      : { role: message.role, content: message.content ?? '' },
  );
  return { ...base, messages };
}

const finishReason = (reason: string) =>
  reason === 'tool-calls' ? 'tool_calls' : reason === 'content-filter' ? 'content_filter' : reason;

function sendJSON(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Writes SSE awkwardly: each event split in two writes, alternating LF and CRLF, with comments between. */
function createSSEWriter(response: ServerResponse) {
  let count = 0;
  return {
    event(data: string) {
      const newline = count++ % 2 === 0 ? '\n' : '\r\n';
      const text = `data: ${data}${newline}${newline}`;
      const cut = Math.max(1, Math.floor(text.length / 2));
      response.write(text.slice(0, cut));
      response.write(text.slice(cut));
      if (count % 3 === 0) response.write(`: keep-alive${newline}`);
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

export async function startUpstreamDouble(): Promise<UpstreamDouble> {
  const models = new Map<string, ModelV1>();
  const seen429 = new Set<string>();
  const requests: UpstreamDouble['requests'] = [];
  const sockets = new Set<import('node:net').Socket>();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '').split('?')[0]!;
    if (request.method === 'GET' && path === '/v1/models') {
      return sendJSON(response, 200, {
        object: 'list',
        data: ['echo', 'tools', 'random'].map((id) => ({
          id,
          object: 'model',
          owned_by: 'llmr-test',
        })),
      });
    }
    const body = request.method === 'POST' ? await readBody(request) : {};
    requests.push({ path, model: body.model, body, headers: request.headers });
    const name = String(body.model ?? '');
    const abort = new AbortController();
    response.on('close', () => abort.abort());

    if (name === 'fault-500')
      return sendJSON(response, 500, {
        error: { message: 'the upstream is broken', type: 'server_error' },
      });
    if (name.startsWith('fault-429') && !seen429.has(name)) {
      seen429.add(name);
      return sendJSON(
        response,
        429,
        { error: { message: 'rate limited', type: 'rate_limit' } },
        { 'retry-after': '1', 'retry-after-ms': '40' },
      );
    }
    if (name === 'fault-hang') return; // Never answers; the client's abort or timeout ends it.

    if (path === '/v1/embeddings') {
      const model = models.get(name) ?? modelFor(name);
      models.set(name, model);
      const result = await model.doEmbed!({ values: body.input });
      return sendJSON(response, 200, {
        object: 'list',
        data: result.embeddings
          .map((embedding, index) => ({ object: 'embedding', index, embedding }))
          .reverse(),
        usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
      });
    }
    const chat = path === '/v1/chat/completions';
    if (!chat && path !== '/v1/completions')
      return sendJSON(response, 404, { error: { message: `no route ${path}` } });
    const id = `cmpl-${requests.length}`;
    const created = 1_700_000_000;

    if (name === 'tools') {
      const args = '{"city":"Paris","unit":"celsius"}';
      if (!body.stream) {
        return sendJSON(response, 200, {
          id,
          object: 'chat.completion',
          created,
          model: name,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  {
                    id: 'call_1',
                    type: 'function',
                    function: { name: 'get_weather', arguments: args },
                  },
                ],
              },
              finish_reason: 'tool_calls',
            },
          ],
          usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
        });
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const sse = createSSEWriter(response);
      const chunk = (delta: Body, finish: string | null = null) =>
        sse.event(
          JSON.stringify({
            id,
            object: 'chat.completion.chunk',
            created,
            model: name,
            choices: [{ index: 0, delta, finish_reason: finish }],
          }),
        );
      chunk({
        role: 'assistant',
        tool_calls: [
          {
            index: 0,
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '' },
          },
        ],
      });
      for (const piece of [args.slice(0, 7), args.slice(7, 20), args.slice(20)])
        chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
      chunk({}, 'tool_calls');
      sse.event(
        JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model: name,
          choices: [],
          usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
        }),
      );
      sse.event('[DONE]');
      return response.end();
    }

    const model = models.get(name) ?? modelFor(name);
    models.set(name, model);
    const options = callOptions(body, chat, abort.signal);

    if (!body.stream) {
      let result: Awaited<ReturnType<ModelV1['doGenerate']>>;
      try {
        result = await model.doGenerate(options);
      } catch (error) {
        return sendJSON(response, 400, {
          error: { message: (error as Error).message, type: 'invalid_request_error' },
        });
      }
      const logprobs = result.logprobs?.map((entry) => ({
        token: entry.token,
        logprob: entry.logprob,
        bytes: entry.bytes ?? null,
        top_logprobs: [],
      }));
      const choice = chat
        ? {
            index: 0,
            message: { role: 'assistant', content: result.text },
            logprobs: logprobs ? { content: logprobs } : null,
            finish_reason: finishReason(result.finishReason),
          }
        : {
            index: 0,
            text: result.text,
            logprobs: logprobs
              ? {
                  tokens: logprobs.map((entry) => entry.token),
                  token_logprobs: logprobs.map((entry) => entry.logprob),
                  top_logprobs: null,
                }
              : null,
            finish_reason: finishReason(result.finishReason),
          };
      return sendJSON(response, 200, {
        id,
        object: chat ? 'chat.completion' : 'text_completion',
        created,
        model: name,
        choices: [choice],
        usage: {
          prompt_tokens: result.usage.inputTokens,
          completion_tokens: result.usage.outputTokens,
          total_tokens: result.usage.inputTokens + result.usage.outputTokens,
        },
      });
    }

    let stream: ReadableStream<ModelV1StreamPart>;
    try {
      ({ stream } = await model.doStream(options));
    } catch (error) {
      return sendJSON(response, 400, {
        error: { message: (error as Error).message, type: 'invalid_request_error' },
      });
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const sse = createSSEWriter(response);
    const object = chat ? 'chat.completion.chunk' : 'text_completion';
    const chunk = (choice: Body | undefined, extra: Body = {}) =>
      sse.event(
        JSON.stringify({
          id,
          object,
          created,
          model: name,
          choices: choice ? [{ index: 0, ...choice }] : [],
          ...extra,
        }),
      );
    if (chat) chunk({ delta: { role: 'assistant', content: '' }, finish_reason: null });
    let deltas = 0;
    const reader = stream.getReader();
    while (true) {
      const { done, value: part } = await reader.read();
      if (done || response.destroyed) break;
      if (part.type === 'text-delta') {
        deltas++;
        if (name === 'fault-malformed' && deltas === 2) {
          sse.raw('data: {"id": "broken", "choices": [{"delta": {"content": "x"}\n\n');
          continue;
        }
        if (name === 'fault-drop' && deltas === 4) {
          // Let what was written reach the client, then cut the connection.
          await new Promise((resolve) => setTimeout(resolve, 30));
          response.socket?.destroy();
          break;
        }
        const logprobs = part.logprobs?.map((entry) => ({
          token: entry.token,
          logprob: entry.logprob,
          bytes: entry.bytes ?? null,
          top_logprobs: [],
        }));
        chunk(
          chat
            ? {
                delta: { content: part.delta },
                logprobs: logprobs ? { content: logprobs } : null,
                finish_reason: null,
              }
            : {
                text: part.delta,
                logprobs: logprobs
                  ? {
                      tokens: logprobs.map((entry) => entry.token),
                      token_logprobs: logprobs.map((entry) => entry.logprob),
                      top_logprobs: null,
                    }
                  : null,
                finish_reason: null,
              },
        );
      } else if (part.type === 'usage' && body.stream_options?.include_usage) {
        // Sent after the finish chunk, as OpenAI does: held until then.
        (response as ServerResponse & { usage?: Body }).usage = {
          prompt_tokens: part.usage.inputTokens,
          completion_tokens: part.usage.outputTokens,
          total_tokens: part.usage.inputTokens + part.usage.outputTokens,
        };
      } else if (part.type === 'finish') {
        chunk(
          chat
            ? { delta: {}, finish_reason: finishReason(part.finishReason) }
            : { text: '', finish_reason: finishReason(part.finishReason) },
        );
        const usage = (response as ServerResponse & { usage?: Body }).usage;
        if (usage) chunk(undefined, { usage });
        if (name !== 'fault-no-done') sse.event('[DONE]');
      } else if (part.type === 'error') {
        sse.raw(
          `event: error\ndata: ${JSON.stringify({ error: { message: (part.error as Error).message, type: 'server_error', code: 500 } })}\n\n`,
        );
        break;
      }
    }
    if (!response.destroyed) response.end();
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      if (!response.headersSent) sendJSON(response, 500, { error: { message: String(error) } });
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
