/**
 * Asks the fallback route and prints who answered: llmr reports its routing decision in
 * `x-llmr-*` response headers (the model that served, how many attempts it took).
 * Start the server first (`pnpm serve`), then:
 *
 *   pnpm start
 *
 * LLMR_BASE_URL defaults to http://127.0.0.1:8080/v1.
 */
const baseURL = process.env.LLMR_BASE_URL ?? 'http://127.0.0.1:8080/v1';

const response = await fetch(`${baseURL}/chat/completions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    model: 'chat',
    messages: [{ role: 'user', content: 'Tell me about the fox.' }],
    max_tokens: 16,
  }),
});
if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
const body = (await response.json()) as { choices: { message: { content: string } }[] };
console.log(`served by: ${response.headers.get('x-llmr-model')}`);
console.log(`attempts: ${response.headers.get('x-llmr-attempts')}`);
console.log(`reply: ${JSON.stringify(body.choices[0]?.message.content)}`);
