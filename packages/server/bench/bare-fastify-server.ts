/**
 * The baseline: a bare Fastify route returning the same chat-completion JSON (and, with
 * `stream: true`, the same SSE chunks) as the llmr server does for the instant model, no
 * hooks, no validation, no logging. What the llmr server adds is measured against it.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';

const app = Fastify({ logger: false });

app.post('/v1/chat/completions', async (request, reply) => {
  const body = request.body as { stream?: boolean };
  const id = `chatcmpl-${randomUUID().replaceAll('-', '').slice(0, 24)}`;
  const created = Math.floor(Date.now() / 1000);
  if (!body.stream) {
    return {
      id,
      object: 'chat.completion',
      created,
      model: 'instant',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'ok' },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    };
  }
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
  });
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: 'instant', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  response.write(chunk({ role: 'assistant', content: '' }, null));
  response.write(chunk({ content: 'ok' }, null));
  response.write(chunk({}, 'stop'));
  response.write('data: [DONE]\n\n');
  response.end();
  return reply;
});

const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
