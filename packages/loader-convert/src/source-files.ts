/**
 * The files a source is made of, which decide its converted GGUF: for a model directory its
 * top-level files (weights, config, tokenizer), for a llama2.c checkpoint the file and its
 * tokenizer. Their contents are the cache key, so an edited file means a new conversion.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findLlama2cTokenizer, type ModelSourceKind, modelSourceKind } from '@llmr/convert';

/** Files that never change what a directory converts to. */
const IGNORED = /^(\.|README|LICENSE|USE_POLICY|.*\.(md|txt|gguf|onnx|png|jpg|lock)$)/i;

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
    const names = (await readdir(path)).filter((name) => !IGNORED.test(name)).sort();
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
