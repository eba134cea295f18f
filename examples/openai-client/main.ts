/**
 * The official `openai` client against a running `llmr serve`: llmr speaks the OpenAI
 * API, so only the base URL changes. Start a server first (`llmr serve`), then:
 *
 *   pnpm start
 *
 * LLMR_BASE_URL (default http://127.0.0.1:8080/v1), LLMR_API_KEY (when the server
 * requires keys) and LLMR_MODEL (default "auto": the server's default route) configure it.
 */
import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: process.env.LLMR_BASE_URL ?? 'http://127.0.0.1:8080/v1',
  apiKey: process.env.LLMR_API_KEY ?? 'not-needed-on-loopback',
});
const model = process.env.LLMR_MODEL ?? 'auto';

const models = await client.models.list();
console.log(`models: ${models.data.map((entry) => entry.id).join(', ')}`);

const completion = await client.chat.completions.create({
  model,
  messages: [
    { role: 'system', content: 'Answer briefly.' },
    { role: 'user', content: 'Tell me about the fox.' },
  ],
  max_tokens: 16,
  seed: 1,
});
console.log(
  `chat (${completion.model}): ${JSON.stringify(completion.choices[0]?.message.content)}`,
);
console.log(
  `usage: ${completion.usage?.prompt_tokens} in, ${completion.usage?.completion_tokens} out`,
);

const stream = await client.chat.completions.create({
  model,
  messages: [{ role: 'user', content: 'And the dog?' }],
  max_tokens: 16,
  stream: true,
  stream_options: { include_usage: true },
});
let text = '';
let chunks = 0;
for await (const chunk of stream) {
  const delta = chunk.choices[0]?.delta?.content;
  if (delta) {
    text += delta;
    chunks++;
  }
}
console.log(`stream: ${chunks} chunks: ${JSON.stringify(text)}`);
