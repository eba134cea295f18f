/**
 * The node:test suite of a provider plugin: a loopback HTTP server standing in for the
 * upstream, then the conformance kit over real HTTP. Kept apart from the provider's own
 * files so each template stays one concept.
 */
import type { PluginNames } from '../plugin-names';

export function providerTestFiles(names: PluginNames): Record<string, string> {
  const { loaderName: name, pascalName } = names;
  const envName = name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return {
    'src/provider.test.ts': `/**
 * The provider against a loopback HTTP server this test starts: a test double of an
 * OpenAI-compatible upstream (GET /models, streamed POST /completions and
 * /chat/completions) that continues a prompt with words drawn from it by a seeded
 * generator, honouring max_tokens, stop and seed as a real upstream does. The
 * conformance kit from @llmr/core/test/kit then runs under node:test.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { APICallError, generate, LlmrError } from '@llmr/core';
import { checkLoader, checkModel } from '@llmr/core/test/kit';
import { create${pascalName}Provider } from './provider.js';

const API_KEY = 'test-key';
const MODELS = ['small'];
const requests: Array<Record<string, unknown>> = [];

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), state | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  };
}

function hash(text: string): number {
  let value = 2166136261;
  for (const character of text) value = Math.imul(value ^ character.codePointAt(0)!, 16777619);
  return value >>> 0;
}

/** The upstream's "model": the prompt's own words, in a seeded order, one token each. */
function continuation(prompt: string, request: Record<string, unknown>) {
  const words = prompt.split(/\\s+/).filter(Boolean);
  const vocabulary = [...new Set([...words, 'river', 'stone', 'light', 'and', 'the'])];
  const temperature = typeof request.temperature === 'number' ? request.temperature : 1;
  const seed = temperature === 0 ? 0 : typeof request.seed === 'number' ? request.seed : Date.now();
  const random = seededRandom(hash(prompt) ^ seed);
  const maxTokens = typeof request.max_tokens === 'number' ? request.max_tokens : 16;
  const tokens = Array.from({ length: maxTokens }, () => \` \${vocabulary[Math.floor(random() * vocabulary.length)]}\`);
  const text = tokens.join('');
  const stops = Array.isArray(request.stop) ? (request.stop as string[]) : [];
  const cut = Math.min(...stops.map((stop) => text.indexOf(stop)).filter((index) => index >= 0));
  if (!Number.isFinite(cut)) return { tokens, finishReason: 'length', promptTokens: words.length || 1 };
  const kept: string[] = [];
  let length = 0;
  for (const token of tokens) {
    if (length >= cut) break;
    kept.push(token.slice(0, cut - length));
    length += token.length;
  }
  return { tokens: kept, finishReason: 'stop', promptTokens: words.length || 1 };
}

function answer(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function handle(request: IncomingMessage, response: ServerResponse) {
  if (request.headers.authorization !== \`Bearer \${API_KEY}\`) {
    return answer(response, 401, { error: { message: 'Invalid API key.' } });
  }
  if (request.method === 'GET' && request.url === '/v1/models') {
    return answer(response, 200, { data: MODELS.map((id) => ({ id, object: 'model' })) });
  }
  const chat = request.url === '/v1/chat/completions';
  if (request.method !== 'POST' || (!chat && request.url !== '/v1/completions')) {
    return answer(response, 404, { error: { message: \`No route \${request.method} \${request.url}.\` } });
  }
  let raw = '';
  for await (const chunk of request) raw += chunk;
  const body = JSON.parse(raw) as Record<string, unknown>;
  requests.push(body);
  if (!MODELS.includes(body.model as string)) {
    return answer(response, 404, { error: { message: \`Unknown model \${String(body.model)}.\` } });
  }
  const prompt = chat
    ? (body.messages as Array<{ content: string }>).map((message) => message.content).join('\\n')
    : (body.prompt as string);
  const { tokens, finishReason, promptTokens } = continuation(prompt, body);
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  const send = (data: unknown) => response.write(\`data: \${JSON.stringify(data)}\\n\\n\`);
  for (const token of tokens) {
    send({ choices: [chat ? { index: 0, delta: { content: token } } : { index: 0, text: token }] });
  }
  send({ choices: [{ index: 0, ...(chat ? { delta: {} } : { text: '' }), finish_reason: finishReason }] });
  send({ choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: tokens.length } });
  response.end('data: [DONE]\\n\\n');
}

let server: Server;
let baseURL = '';

before(async () => {
  server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => answer(response, 500, { error: { message: error.message } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}/v1\`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('the provider passes the loader conformance kit', async () => {
  const provider = create${pascalName}Provider({ baseURL, apiKey: API_KEY });
  const report = await checkLoader({
    loader: provider,
    sources: ['${name}:small'],
    foreignSources: ['model.gguf', 'mock:random'],
    brokenSources: ['${name}:no-such-model', '${name}:'],
  });
  assert.equal(report.failed.length, 0);
});

test('its model passes the model conformance kit over HTTP', async () => {
  const provider = create${pascalName}Provider({ baseURL, apiKey: API_KEY });
  const report = await checkModel({
    name: '${name}',
    createModel: () => provider.doLoad('${name}:small'),
    prompt: 'Once upon a time there was a river',
  });
  assert.equal(report.failed.length, 0);
});

test('chat messages and sampling options reach the upstream', async () => {
  const model = create${pascalName}Provider({ baseURL, apiKey: API_KEY }).languageModel('small');
  const { text } = await generate(model, {
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'river stone' },
    ],
    maxTokens: 3,
    temperature: 0,
  });
  assert.equal(text.trim().split(' ').length, 3);
  const sent = requests.at(-1)!;
  assert.deepEqual(sent.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'river stone' },
  ]);
  assert.equal(sent.max_tokens, 3);
  await model.dispose();
});

test('a wrong key and a missing upstream fail with errors that say so', async () => {
  const model = create${pascalName}Provider({ baseURL, apiKey: 'wrong' }).languageModel('small');
  await assert.rejects(
    model.doGenerate({ prompt: 'hello' }),
    (error: unknown) => APICallError.isInstance(error) && error.statusCode === 401 && /Invalid API key/.test(error.message),
  );
  const unset = create${pascalName}Provider({ baseURL: '' });
  await assert.rejects(
    unset.languageModel('small').doGenerate({ prompt: 'hello' }),
    (error: unknown) => LlmrError.isInstance(error) && /${envName}_BASE_URL/.test(error.message),
  );
});
`,
  };
}
