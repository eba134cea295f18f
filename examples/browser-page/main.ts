/**
 * The page's script: fetches a GGUF model once, loads it with @llmr/runtime-simple (its
 * WASM SIMD kernels are embedded, so nothing else is fetched), and streams the greedy
 * continuation of the prompt into the page token by token. Nothing leaves the browser.
 */
import { stream } from '@llmr/core';
import { loadSimpleGguf, type SimpleModel } from '@llmr/runtime-simple';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = element<HTMLFormElement>('generate');
const output = element<HTMLOutputElement>('text');
const status = element<HTMLParagraphElement>('status');
const errorBox = element<HTMLParagraphElement>('error');

// One model per URL, loaded on first use and kept for the next prompts.
const models = new Map<string, Promise<SimpleModel>>();
function modelAt(url: string): Promise<SimpleModel> {
  let model = models.get(url);
  if (!model) {
    model = fetch(url).then(async (response) => {
      if (!response.ok) throw new Error(`Fetching ${url} answered ${response.status}.`);
      return loadSimpleGguf(new Uint8Array(await response.arrayBuffer()), { contextLength: 512 });
    });
    // A failed load is not kept: the next click tries again.
    model.catch(() => models.delete(url));
    models.set(url, model);
  }
  return model;
}

async function run() {
  const url = new URL(element<HTMLInputElement>('model-url').value, document.baseURI).href;
  const prompt = element<HTMLInputElement>('prompt').value;
  const maxTokens = Number(element<HTMLInputElement>('max-tokens').value) || 8;
  output.textContent = '';
  delete output.dataset.done;
  errorBox.hidden = true;
  status.textContent = 'Loading the model…';
  const started = performance.now();
  const model = await modelAt(url);
  status.textContent = `Generating on ${model.backend}…`;
  const tokens: number[] = [];
  let deltas = 0;
  // Greedy (temperature 0): the same prompt gives the same tokens on every machine.
  const { parts } = await stream(model, { prompt, maxTokens, temperature: 0 });
  for await (const part of parts) {
    if (part.type === 'text-delta') {
      output.textContent += part.delta;
      tokens.push(...(part.tokens ?? []));
      deltas += 1;
      output.dataset.deltas = String(deltas);
    } else if (part.type === 'error') throw part.error;
  }
  output.dataset.tokens = JSON.stringify(tokens);
  output.dataset.done = 'true';
  const seconds = (performance.now() - started) / 1000;
  status.textContent = `${tokens.length} tokens in ${seconds.toFixed(2)} s on ${model.backend}.`;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  run().catch((error: unknown) => {
    status.textContent = '';
    errorBox.textContent = error instanceof Error ? error.message : String(error);
    errorBox.hidden = false;
  });
});
