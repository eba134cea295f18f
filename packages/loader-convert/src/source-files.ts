/**
 * The files a source is made of, which decide its converted GGUF: for a model directory its
 * JSON files and the weights the converter reads, for a llama2.c checkpoint the file and its
 * tokenizer. Their contents are the cache key, so an edited file means a new conversion.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ModelSourceKind } from '@llmr/convert';

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
  // The converter (and the format readers behind it) load on first need, not with this module:
  // a CLI registers this loader for every command.
  const { findLlama2cTokenizer, hfWeightsKind, modelSourceKind } = await import('@llmr/convert');
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

/**
 * Cheap first look, without loading the converter: false for what can never be a source (a
 * missing path, a directory without config.json, a file too short for a llama2.c header or
 * named like another format).
 */
export async function mightBeSource(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return false;
  if (info.isDirectory())
    return (await stat(join(path, 'config.json')).catch(() => undefined))?.isFile() ?? false;
  if (!info.isFile() || info.size < 28 || /\.(gguf|onnx|json|safetensors|txt|md)$/i.test(path))
    return false;
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    // GGUF and zip magic bytes: other loaders' files.
    return !(head.toString('latin1') === 'GGUF' || head.toString('latin1', 0, 2) === 'PK');
  } finally {
    await handle.close();
  }
}
