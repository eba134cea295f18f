/**
 * The exact bytes of a chat completion, as JSON and as SSE, over real HTTP: the response
 * path is tuned for speed, and a client parser must never see the difference. Only the
 * response id and the `created` time vary between runs; they are replaced before comparing.
 */
import { describe, expect, it } from 'vitest';
import { startServer } from '../__fixtures__/test-server';

const body = (stream: boolean) =>
  JSON.stringify({
    model: 'echo',
    messages: [{ role: 'user', content: 'hé "ok"' }],
    max_tokens: 16,
    stream,
  });

async function post(url: string, stream: boolean) {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body(stream),
  });
  const text = await response.text();
  const id = /"id":"(chatcmpl-[^"]+)"/.exec(text)?.[1];
  expect(id).toBeDefined();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    model: response.headers.get('x-llmr-model'),
    attempts: response.headers.get('x-llmr-attempts'),
    text: text.replaceAll(id!, 'ID').replace(/"created":\d+/g, '"created":0'),
  };
}

describe('chat completion bytes', () => {
  it('answers JSON byte for byte', async () => {
    const { url } = await startServer();
    const answer = await post(url, false);
    expect(answer).toMatchInlineSnapshot(`
      {
        "attempts": "1",
        "model": "echo",
        "status": 200,
        "text": "{"id":"ID","object":"chat.completion","created":0,"model":"echo","choices":[{"index":0,"message":{"role":"assistant","content":"hé \\"ok\\""},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":8,"total_tokens":39}}",
        "type": "application/json; charset=utf-8",
      }
    `);
  });

  it('streams SSE byte for byte', async () => {
    const { url } = await startServer();
    const answer = await post(url, true);
    expect(answer).toMatchInlineSnapshot(`
      {
        "attempts": "1",
        "model": "echo",
        "status": 200,
        "text": "data: {"id":"ID","created":0,"model":"echo","object":"chat.completion.chunk","choices":[{"index":0,"logprobs":null,"finish_reason":null,"delta":{"role":"assistant","content":""}}]}

      data: {"id":"ID","created":0,"model":"echo","object":"chat.completion.chunk","choices":[{"index":0,"logprobs":null,"finish_reason":null,"delta":{"content":"h"}}]}

      data: {"id":"ID","created":0,"model":"echo","object":"chat.completion.chunk","choices":[{"index":0,"logprobs":null,"finish_reason":null,"delta":{"content":"é"}}]}

      data: {"id":"ID","created":0,"model":"echo","object":"chat.completion.chunk","choices":[{"index":0,"logprobs":null,"finish_reason":null,"delta":{"content":" "}}]}

      data: {"id":"ID","created":0,"model":"echo","object":"chat.completion.chunk","choices":[{"index":0,"logprobs":null,"finish_reason":null,"delta":{"content":"\\""}}]}

      data: {"id":"ID","created":0,"model":"echo","object":"chat.completion.chunk","choices":[{"index":0,"logprobs":null,"finish_reason":null,"delta":{"content":"o"}}]}

      data: {"id":"ID","created":0,"model":"echo","object":"chat.completion.chunk","choices":[{"index":0,"logprobs":null,"finish_reason":null,"delta":{"content":"k"}}]}

      data: {"id":"ID","created":0,"model":"echo","object":"chat.completion.chunk","choices":[{"index":0,"logprobs":null,"finish_reason":null,"delta":{"content":"\\""}}]}

      data: {"id":"ID","created":0,"model":"echo","object":"chat.completion.chunk","choices":[{"index":0,"logprobs":null,"finish_reason":"stop","delta":{}}]}

      data: [DONE]

      ",
        "type": "text/event-stream; charset=utf-8",
      }
    `);
  });
});
