/**
 * Sends a short and a long prompt to the plugin-ranked route and prints which model each
 * went to (`x-llmr-model`) and the strategy that chose it (`x-llmr-strategy`).
 * Start the server first (`pnpm serve`), then:
 *
 *   pnpm start
 */
const baseURL = process.env.LLMR_BASE_URL ?? 'http://127.0.0.1:8080/v1';

async function ask(label: string, content: string): Promise<void> {
  const response = await fetch(`${baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content }], max_tokens: 8 }),
  });
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  await response.json();
  const model = response.headers.get('x-llmr-model');
  const strategy = response.headers.get('x-llmr-strategy');
  console.log(`${label} prompt -> ${model} (strategy ${strategy})`);
}

await ask('short', 'Hi.');
await ask(
  'long',
  'The quick brown fox jumps over the lazy dog, and then the dog wakes up, looks around the yard, and chases the fox all the way back into the woods behind the old farmhouse.',
);
