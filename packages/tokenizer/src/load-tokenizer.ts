/** Building a Tokenizer from tokenizer.json (text, bytes or parsed) and tokenizer_config.json. */
import { LoadError, ParseError } from '@llmr/core';
import { type AddedToken, AddedVocabulary, readAddedTokens } from './added-vocabulary';
import type { ChatTemplateSource } from './chat-template';
import { createDecoder } from './decoders';
import { readObject, tokenizerJsonError } from './json-fields';
import { createModel } from './models/create-model';
import type { TokenizerModel } from './models/model';
import { createNormalizer } from './normalizers';
import { createPostProcessor } from './post-processors';
import { createPreTokenizer } from './pre-tokenizers';
import { Tokenizer } from './tokenizer';
import { readTokenizerConfig, type TokenizerConfig } from './tokenizer-config';

export interface LoadTokenizerOptions {
  /** Overrides the chat template from the config. */
  chatTemplate?: ChatTemplateSource;
}

function parseJson(input: string | Uint8Array | ArrayBuffer, name: string): unknown {
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ParseError({
      format: name,
      code: 'tokenizer-json-invalid',
      message: `${name} is not valid JSON: ${(error as Error).message}`,
      cause: error,
    });
  }
}

/**
 * Gives added tokens the ids the reference gives them: a token already in the model's
 * vocabulary keeps the model's id, a new one takes the next id after the model's
 * vocabulary and the added tokens before it. The ids written in the file are not used
 * (the reference only warns when they differ); for files that `tokenizers` or
 * `transformers` wrote, they are the same.
 */
function assignAddedTokenIds(tokens: AddedToken[], model: TokenizerModel): AddedToken[] {
  const assigned = new Map<string, number>();
  const seen: AddedToken[] = [];
  const out: AddedToken[] = [];
  let max = -1;
  for (const token of tokens) {
    if (token.content.length === 0) continue;
    if (seen.some((other) => sameToken(other, token))) continue;
    seen.push(token);
    let id = assigned.get(token.content) ?? model.tokenToId(token.content);
    if (id === undefined) {
      id = max < 0 ? model.size : max >= model.size || model.size === 0 ? max + 1 : model.size;
    }
    assigned.set(token.content, id);
    if (id > max) max = id;
    out.push({ ...token, id });
  }
  return out;
}

function sameToken(a: AddedToken, b: AddedToken): boolean {
  return (
    a.content === b.content &&
    a.special === b.special &&
    a.lstrip === b.lstrip &&
    a.rstrip === b.rstrip &&
    a.normalized === b.normalized &&
    a.singleWord === b.singleWord
  );
}

/**
 * Loads a Hugging Face tokenizer from its tokenizer.json (a string, bytes, or the parsed
 * object) and, optionally, its tokenizer_config.json (special tokens, chat template).
 */
export function loadTokenizer(
  tokenizerJson: string | Uint8Array | ArrayBuffer | Record<string, unknown>,
  config?: string | Uint8Array | ArrayBuffer | TokenizerConfig,
  options: LoadTokenizerOptions = {},
): Tokenizer {
  const json = readObject(
    typeof tokenizerJson === 'string' ||
      tokenizerJson instanceof Uint8Array ||
      tokenizerJson instanceof ArrayBuffer
      ? parseJson(tokenizerJson, 'tokenizer.json')
      : tokenizerJson,
    '(root)',
  );
  if (json.model === undefined)
    throw tokenizerJsonError('model', 'is missing; is this a tokenizer.json file?');
  const model = createModel(json.model);
  const normalizer = createNormalizer(json.normalizer);
  const preTokenizer = createPreTokenizer(json.pre_tokenizer);
  const postProcessor = createPostProcessor(json.post_processor);
  const decoder = createDecoder(json.decoder);
  const added = assignAddedTokenIds(readAddedTokens(json.added_tokens), model);
  const addedVocabulary = new AddedVocabulary(added, normalizer);
  const configObject =
    config === undefined
      ? undefined
      : typeof config === 'string' || config instanceof Uint8Array || config instanceof ArrayBuffer
        ? (parseJson(config, 'tokenizer_config.json') as TokenizerConfig)
        : config;
  const fromConfig = configObject ? readTokenizerConfig(configObject) : undefined;
  const chatTemplate = options.chatTemplate ?? fromConfig?.chatTemplate;
  return new Tokenizer({
    model,
    normalizer,
    preTokenizer,
    postProcessor,
    decoder,
    addedVocabulary,
    ...(fromConfig ? { specialTokenNames: fromConfig.specialTokenNames } : {}),
    ...(chatTemplate === undefined ? {} : { chatTemplate }),
  });
}

/**
 * Node only: loads `tokenizer.json` and, when present, `tokenizer_config.json` from a
 * model directory. `fs` is imported lazily so browser bundles never see it.
 */
export async function loadTokenizerFromDirectory(
  directory: string,
  options: LoadTokenizerOptions = {},
): Promise<Tokenizer> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const tokenizerPath = path.join(directory, 'tokenizer.json');
  let tokenizerJson: string;
  try {
    tokenizerJson = await fs.readFile(tokenizerPath, 'utf8');
  } catch (error) {
    throw new LoadError({
      source: directory,
      code: 'tokenizer-not-found',
      message: `Cannot read ${tokenizerPath}: ${(error as Error).message}. The directory must hold a Hugging Face tokenizer.json.`,
      cause: error,
    });
  }
  let config: string | undefined;
  try {
    config = await fs.readFile(path.join(directory, 'tokenizer_config.json'), 'utf8');
  } catch {
    config = undefined;
  }
  return loadTokenizer(tokenizerJson, config, options);
}
