/**
 * Writes the two local models the example config serves, built here (no hub needed):
 * `bigram-f16.gguf` (babbles phrases of a short text) and `oracle-q8_0.gguf` (a
 * deterministic bigram chain). Skips files that already exist.
 *
 *   tsx src/make-models.ts <dir>
 */
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryTensorSource, type GgufDtype, writeHfModelAsGguf } from '@llmr/convert';
import { buildTinyModel } from '@llmr/fixtures';

export const MODELS: { file: string; kind: 'bigram' | 'oracle'; dtype: GgufDtype }[] = [
  { file: 'bigram-f16.gguf', kind: 'bigram', dtype: 'f16' },
  { file: 'oracle-q8_0.gguf', kind: 'oracle', dtype: 'q8_0' },
];

export async function makeModels(
  dir: string,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const { file, kind, dtype } of MODELS) {
    const path = join(dir, file);
    paths.push(path);
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      continue;
    const model = buildTinyModel({ kind, seed: 1, contextLength: 4096 });
    await writeHfModelAsGguf(
      {
        dir: file.replace(/\.gguf$/, ''),
        config: model.files['config.json'],
        tokenizer: model.files['tokenizer.json'],
        tokenizerConfig: model.files['tokenizer_config.json'],
        tensors: createMemoryTensorSource(model.weights),
      },
      { output: `${path}.incomplete`, dtype },
    );
    await rename(`${path}.incomplete`, path);
    log(`wrote ${path}`);
  }
  return paths;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await makeModels(process.argv[2] ?? 'models', (line) => process.stderr.write(`${line}\n`));
}
