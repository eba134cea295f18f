/**
 * The built-in default model: a tiny Llama-architecture GGUF that llmr builds itself on
 * first use (no hub needed), served by real llama.cpp. Its weights are the fixtures' "bigram" kind:
 * bigram log-probabilities learned from a short text, so it writes phrases from that text.
 * Built once into the cache directory, then reused.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTensorSource, writeHfModelAsGguf } from '@llmr/convert';
import { buildTinyModel } from '@llmr/fixtures';

export const DEFAULT_MODEL_ID = 'llmr-default';
const FILE_NAME = 'llmr-default-bigram-v2-f16.gguf';

export function llmrHome(): string {
  return (
    process.env.LLMR_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'llmr')
  );
}

/** Path of the default model, building it first if needed. */
export async function ensureDefaultModel(log: (line: string) => void = () => {}): Promise<string> {
  const dir = join(llmrHome(), 'models');
  const path = join(dir, FILE_NAME);
  if (
    await stat(path).then(
      (info) => info.size > 0,
      () => false,
    )
  )
    return path;
  await mkdir(dir, { recursive: true });
  const started = performance.now();
  log(`building the built-in default model (${FILE_NAME}) in ${dir} ...`);
  const model = buildTinyModel({
    kind: 'bigram',
    seed: 1,
    layers: 1,
    vocab: 1024,
    contextLength: 4096,
  });
  const partial = `${path}.${process.pid}.incomplete`;
  try {
    await writeHfModelAsGguf(
      {
        dir: DEFAULT_MODEL_ID,
        config: model.files['config.json'],
        tokenizer: model.files['tokenizer.json'],
        tokenizerConfig: model.files['tokenizer_config.json'],
        tensors: createMemoryTensorSource(model.weights),
      },
      { output: partial, dtype: 'f16', name: DEFAULT_MODEL_ID },
    );
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  log(`built ${FILE_NAME} in ${Math.round(performance.now() - started)} ms`);
  return path;
}
