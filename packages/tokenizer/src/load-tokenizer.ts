/** Building a Tokenizer from tokenizer.json (text, bytes or parsed) and tokenizer_config.json. */
import { LoadError, ParseError } from '@llmr/core';
import { type AddedToken, AddedVocabulary, readAddedTokens } from './added-vocabulary';
import type { ChatTemplateSource } from './chat-template';
import { createDecoder } from './decoders';
import { readObject, tokenizerJsonError } from './json-fields';
import { createModel } from './models/create-model';
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
 * Loads a Hugging Face tokenizer from its tokenizer.json (a string, bytes, or the parsed
 * object) and, optionally, its tokenizer_config.json (special tokens, chat template).
 */
export function loadTokenizer(
  tokenizerJson: string | Uint8Array | ArrayBuffer | Record<string, unknown>,
  config?: string | Uint8Array | ArrayBuffer | TokenizerConfig,
  options: LoadTokenizerOptions = {},
): Tokenizer {
  const json = readObject(
    typeof tokenizerJson === 'string' || tokenizerJson instanceof Uint8Array || tokenizerJson instanceof ArrayBuffer
      ? parseJson(tokenizerJson, 'tokenizer.json')
      : tokenizerJson,
    '(root)',
  );
  if (json.model === undefined) throw tokenizerJsonError('model', 'is missing; is this a tokenizer.json file?');
  const model = createModel(json.model);
  const normalizer = createNormalizer(json.normalizer);
  const preTokenizer = createPreTokenizer(json.pre_tokenizer);
  const postProcessor = createPostProcessor(json.post_processor);
  const decoder = createDecoder(json.decoder);
  const added: AddedToken[] = readAddedTokens(json.added_tokens).map((token) => {
    // The reference gives an added token that is already in the vocabulary the model's id.
    const modelId = model.tokenToId(token.content);
    return modelId === undefined ? token : { ...token, id: modelId };
  });
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
export async function loadTokenizerFromDirectory(directory: string, options: LoadTokenizerOptions = {}): Promise<Tokenizer> {
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
