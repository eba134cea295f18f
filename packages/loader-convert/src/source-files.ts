/**
 * The files a source is made of, which decide its converted GGUF: for a model directory its
 * JSON files and the weights the converter reads, for a llama2.c checkpoint the file and its
 * tokenizer. Their contents are the cache key, so an edited file means a new conversion.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  findLlama2cTokenizer,
  hfWeightsKind,
  type ModelSourceKind,
  modelSourceKind,
} from '@llmr/convert';

/** Weights files the converter reads, by the kind of weights a directory holds. */
const WEIGHTS = {
  safetensors: /\.safetensors$/,
  pytorch: /\.(bin|pt|pth)$/,
} as const;

export interface SourceFiles {
  kind: ModelSourceKind;
  files: string[];
  /** llama2.c: the tokenizer used. */
  tokenizer?: string;
}

export async function sourceFiles(
  path: string,
  options: { tokenizer?: string } = {},
): Promise<SourceFiles | undefined> {
  const kind = await modelSourceKind(path);
  if (!kind) return undefined;
  if (kind === 'hf-directory') {
    // The JSON files (config, tokenizer, index) and the weights the converter will read: a
    // repository that ships both safetensors and pytorch_model.bin is hashed for one of them.
    const weights = await hfWeightsKind(path);
    const names = (await readdir(path))
      .filter((name) => name.endsWith('.json') || (weights && WEIGHTS[weights].test(name)))
      .sort();
    const files: string[] = [];
    for (const name of names) {
      if ((await stat(join(path, name)).catch(() => undefined))?.isFile())
        files.push(join(path, name));
    }
    return { kind, files };
  }
  const tokenizer = await findLlama2cTokenizer(path, options.tokenizer);
  const files = [path];
  if (tokenizer) {
    files.push(tokenizer);
    const config = join(dirname(tokenizer), 'tokenizer_config.json');
    if (tokenizer.endsWith('.json') && (await stat(config).catch(() => undefined))?.isFile())
      files.push(config);
  }
  return { kind, files, tokenizer };
}
