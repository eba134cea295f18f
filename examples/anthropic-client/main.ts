/**
 * The official `@anthropic-ai/sdk` client against a running `llmr serve`: llmr answers
 * the Anthropic Messages API at /v1/messages for any model it routes to, so code written
 * for Claude runs on local models. Start a server first (`llmr serve`), then:
 *
 *   pnpm start
 *
 * LLMR_URL (default http://127.0.0.1:8080), LLMR_API_KEY and LLMR_MODEL (default "auto").
 */
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic({
  baseURL: process.env.LLMR_URL ?? 'http://127.0.0.1:8080',
  apiKey: process.env.LLMR_API_KEY ?? 'not-needed-on-loopback',
});
const model = process.env.LLMR_MODEL ?? 'auto';

const message = await client.messages.create({
  model,
  max_tokens: 16,
  system: 'Answer briefly.',
  messages: [{ role: 'user', content: 'Tell me about the fox.' }],
});
const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
console.log(`message (${message.model}, ${message.stop_reason}): ${JSON.stringify(text)}`);
console.log(`usage: ${message.usage.input_tokens} in, ${message.usage.output_tokens} out`);

// Streaming: the SDK's helper collects the server-sent events into the final message.
const stream = client.messages.stream({
  model,
  max_tokens: 16,
  messages: [{ role: 'user', content: 'And the dog?' }],
});
let deltas = 0;
stream.on('text', () => {
  deltas++;
});
const final = await stream.finalMessage();
const streamed = final.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
console.log(`stream: ${deltas} deltas: ${JSON.stringify(streamed)}`);
