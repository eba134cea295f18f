/**
 * llmr as a library, no server: a router over two local GGUF models (run by llama.cpp),
 * one route that tries `bigram` first and falls back to `oracle`, then a whole answer
 * and a streamed one.
 *
 *   pnpm start [models-directory]   (default: ../models)
 */
import { fileURLToPath } from 'node:url';
import { iterateStream } from '@llmr/core';
import { ggufLoader } from '@llmr/loader-gguf';
import { createRouter } from '@llmr/router';

const models = process.argv[2] ?? fileURLToPath(new URL('../models/', import.meta.url));

const router = createRouter({
  loaders: [ggufLoader],
  models: [
    { id: 'bigram', source: `${models}/bigram-f16.gguf` },
    { id: 'oracle', source: `${models}/oracle-q8_0.gguf` },
  ],
  routes: { chat: { fallback: ['bigram', 'oracle'] } },
  defaultRoute: 'chat',
});

try {
  // 'auto' is the default route; the result says which model answered and why.
  const answer = await router.generate({
    model: 'auto',
    messages: [{ role: 'user', content: 'Tell me about the fox.' }],
    maxTokens: 16,
    seed: 1,
  });
  console.log(`generate via ${answer.routing.modelId}: ${JSON.stringify(answer.text)}`);
  console.log(`usage: ${answer.usage.inputTokens} in, ${answer.usage.outputTokens} out`);

  // Streaming: parts arrive as the model writes them.
  const { stream, routing } = await router.stream({
    model: 'oracle',
    prompt: 'The lazy',
    maxTokens: 8,
    temperature: 0,
  });
  let text = '';
  for await (const part of iterateStream(stream)) {
    if (part.type === 'text-delta') text += part.delta;
  }
  console.log(`stream via ${routing.modelId}: ${JSON.stringify(text)}`);
} finally {
  await router.dispose();
}
