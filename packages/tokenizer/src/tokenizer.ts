/**
 * The tokenizer: added tokens, normalizer, pre-tokenizer, model, post-processor and
 * decoder, wired as in Hugging Face's `tokenizers`, behind llmr's `TokenizerV1`.
 */
import {
  LlmrError,
  type ModelV1Message,
  type TokenizerStreamDecoderV1,
  type TokenizerV1,
  type TokenizerV1DecodeOptions,
  type TokenizerV1EncodeOptions,
} from '@llmr/core';
import type { AddedVocabulary } from './added-vocabulary';
import {
  type ChatTemplateOptions,
  type ChatTemplateSource,
  renderChatTemplate,
} from './chat-template';
import type { Decoder } from './decoders';
import type { TokenizerModel } from './models/model';
import { NormalizedString } from './normalized-string';
import type { Normalizer } from './normalizers';
import type { Encoding, PostProcessor } from './post-processors';
import type { PreTokenizer } from './pre-tokenizers';
import { toWellFormed } from './unicode';

/** An encoding with everything the pipeline knows about each token. */
export interface TokenizerEncoding {
  ids: number[];
  tokens: string[];
  /** `[start, end)` of each token in the input, in UTF-16 units (`text.slice(start, end)`). */
  offsets: Array<[number, number]>;
  /** 1 for tokens the post-processor added (BOS, [CLS], ...), else 0. */
  specialTokensMask: number[];
}

export interface SpecialTokenNames {
  bos?: string;
  eos?: string;
  pad?: string;
  unk?: string;
}

export interface TokenizerParts {
  model: TokenizerModel;
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  postProcessor: PostProcessor | null;
  decoder: Decoder | null;
  addedVocabulary: AddedVocabulary;
  /** Special tokens by role; names are resolved to ids, explicit ids win. */
  specialTokenNames?: SpecialTokenNames;
  specialTokenIds?: { bos?: number; eos?: number; pad?: number; unk?: number };
  chatTemplate?: ChatTemplateSource;
}

const GUESSES: Record<keyof SpecialTokenNames, string[]> = {
  bos: ['<s>', '<|begin_of_text|>', '<bos>', '<|startoftext|>'],
  eos: ['</s>', '<|end_of_text|>', '<eos>', '<|endoftext|>'],
  pad: ['<pad>', '[PAD]', '<|pad|>'],
  unk: ['<unk>', '[UNK]'],
};

export class Tokenizer implements TokenizerV1 {
  readonly specificationVersion = 'v1' as const;
  readonly vocabularySize: number;
  readonly specialTokens: TokenizerV1['specialTokens'];
  /** The model behind the tokenizer: `BPE`, `Unigram`, `WordPiece` or `WordLevel`. */
  readonly modelType: TokenizerModel['type'];
  readonly chatTemplate?: ChatTemplateSource;
  private readonly parts: TokenizerParts;
  private readonly specialTokenText: Record<string, string | undefined>;

  constructor(parts: TokenizerParts) {
    this.parts = parts;
    this.modelType = parts.model.type;
    this.chatTemplate = parts.chatTemplate;
    let limit = parts.model.idLimit;
    for (const token of parts.addedVocabulary.tokens)
      if (token.id + 1 > limit) limit = token.id + 1;
    this.vocabularySize = limit;
    const resolve = (role: keyof SpecialTokenNames): number | undefined => {
      const explicit = parts.specialTokenIds?.[role];
      if (explicit !== undefined) return explicit;
      const name =
        parts.specialTokenNames?.[role] ?? (role === 'unk' ? parts.model.unkToken : undefined);
      if (name !== undefined) return this.tokenToId(name);
      if (parts.specialTokenNames) return undefined;
      for (const guess of GUESSES[role]) {
        const id = this.tokenToId(guess);
        if (id !== undefined) return id;
      }
      return undefined;
    };
    const all = [
      ...new Set(
        parts.addedVocabulary.tokens.filter((token) => token.special).map((token) => token.id),
      ),
    ];
    all.sort((a, b) => a - b);
    const roles = {
      bos: resolve('bos'),
      eos: resolve('eos'),
      pad: resolve('pad'),
      unk: resolve('unk'),
    };
    this.specialTokens = {
      ...(roles.bos === undefined ? {} : { bos: roles.bos }),
      ...(roles.eos === undefined ? {} : { eos: roles.eos }),
      ...(roles.pad === undefined ? {} : { pad: roles.pad }),
      ...(roles.unk === undefined ? {} : { unk: roles.unk }),
      all,
    };
    const text = (id: number | undefined) => (id === undefined ? undefined : this.idToToken(id));
    this.specialTokenText = {
      bos_token: text(roles.bos),
      eos_token: text(roles.eos),
      pad_token: text(roles.pad),
      unk_token: text(roles.unk),
    };
  }

  /** A copy whose special-token roles are these ids (as GGUF metadata states them). */
  withSpecialTokenIds(ids: TokenizerParts['specialTokenIds']): Tokenizer {
    return new Tokenizer({ ...this.parts, specialTokenIds: ids, specialTokenNames: {} });
  }

  /** The id of a token string (added tokens first, then the model's vocabulary). */
  tokenToId(token: string): number | undefined {
    return this.parts.addedVocabulary.tokenToId(token) ?? this.parts.model.tokenToId(token);
  }

  /** The token string of an id, or undefined for an id the tokenizer does not have. */
  idToToken(id: number): string | undefined {
    return this.parts.addedVocabulary.decodedToken(id) ?? this.parts.model.idToToken(id);
  }

  encode(text: string, options?: TokenizerV1EncodeOptions): number[] {
    return this.run(text, options?.addSpecialTokens ?? true, false).ids;
  }

  /** Ids plus token strings, offsets into `text` and the special-tokens mask. */
  encodeWithOffsets(text: string, options?: TokenizerV1EncodeOptions): TokenizerEncoding {
    const encoding = this.run(text, options?.addSpecialTokens ?? true, true);
    const offsets: Array<[number, number]> = [];
    const raw = encoding.offsets!;
    for (let index = 0; index < encoding.ids.length; index++)
      offsets.push([raw[index * 2]!, raw[index * 2 + 1]!]);
    return {
      ids: encoding.ids,
      tokens: encoding.ids.map((id) => this.idToToken(id) ?? ''),
      offsets,
      specialTokensMask: encoding.special,
    };
  }

  encodeBatch(texts: readonly string[], options?: TokenizerV1EncodeOptions): number[][] {
    return texts.map((text) => this.encode(text, options));
  }

  countTokens(text: string, options?: TokenizerV1EncodeOptions): number {
    return this.encode(text, options).length;
  }

  private run(input: string, addSpecialTokens: boolean, track: boolean): Encoding {
    const { addedVocabulary, normalizer, preTokenizer, model, postProcessor } = this.parts;
    const text = toWellFormed(input);
    const ids: number[] = [];
    const special: number[] = [];
    const offsets: number[] | null = track ? [] : null;
    const local: number[] | null = track ? [] : null;
    const values = new Map<number, string>();
    const tokenizeWord = (word: NormalizedString) => {
      const before = ids.length;
      if (local) local.length = 0;
      model.tokenize(word.text, ids, local);
      for (let index = before; index < ids.length; index++) special.push(0);
      if (offsets && local) {
        for (let index = 0; index < local.length; index += 2) {
          const [start, end] = word.originalRange(local[index]!, local[index + 1]!);
          offsets.push(start, end);
        }
      }
    };
    const segments = addedVocabulary.raw.isEmpty
      ? [{ start: 0, end: text.length, id: -1 }]
      : addedVocabulary.raw.split(text);
    for (const segment of segments) {
      if (segment.id >= 0) {
        if (offsets) {
          // The token's value is the matched text, stripped whitespace included (offset trimming reads it).
          values.set(ids.length, text.slice(segment.start, segment.end));
          offsets.push(segment.start, segment.end);
        }
        ids.push(segment.id);
        special.push(0);
        continue;
      }
      if (segment.end <= segment.start) continue;
      const piece = NormalizedString.fromInput(
        text.slice(segment.start, segment.end),
        segment.start,
        track,
      );
      normalizer?.normalize(piece);
      const inner = addedVocabulary.normalized.isEmpty
        ? [{ start: 0, end: piece.text.length, id: -1 }]
        : addedVocabulary.normalized.split(piece.text);
      for (const part of inner) {
        if (part.id >= 0) {
          if (offsets) {
            values.set(ids.length, piece.text.slice(part.start, part.end));
            offsets.push(...piece.originalRange(part.start, part.end));
          }
          ids.push(part.id);
          special.push(0);
          continue;
        }
        if (part.end <= part.start) continue;
        const sub = piece.slice(part.start, part.end);
        if (preTokenizer) {
          for (const word of preTokenizer.preTokenize([sub])) tokenizeWord(word);
        } else {
          tokenizeWord(sub);
        }
      }
    }
    const encoding: Encoding = { ids, offsets, special };
    if (!postProcessor) return encoding;
    return postProcessor.process(
      encoding,
      addSpecialTokens,
      (index) => values.get(index) ?? this.idToToken(ids[index]!),
    );
  }

  decode(tokens: readonly number[], options?: TokenizerV1DecodeOptions): string {
    const skipSpecial = options?.skipSpecialTokens ?? false;
    const { addedVocabulary, model, decoder } = this.parts;
    const strings: string[] = [];
    for (const id of tokens) {
      const token = addedVocabulary.decodedToken(id) ?? model.idToToken(id);
      if (token === undefined) continue;
      if (skipSpecial && addedVocabulary.isSpecial(token)) continue;
      strings.push(token);
    }
    if (!decoder) return strings.join(' ');
    return decoder.decodeChain(strings).join('');
  }

  decodeBatch(
    batch: ReadonlyArray<readonly number[]>,
    options?: TokenizerV1DecodeOptions,
  ): string[] {
    return batch.map((tokens) => this.decode(tokens, options));
  }

  /**
   * Decodes token by token. Each `push` returns only text that is complete: a character
   * whose bytes span several tokens appears once, whole, when its last byte arrives. It
   * decodes a short window of recent tokens, so decoders that look at neighbours (strip
   * the first space, join word pieces) give the same text as `decode` of the whole list.
   */
  createStreamDecoder(options?: TokenizerV1DecodeOptions): TokenizerStreamDecoderV1 {
    // `context` is the tokens of the last chunk shown: they start and end on character
    // boundaries, so they decode cleanly, and decoding them before the pending tokens gives
    // the pending tokens the neighbours decoders look at. `shown` is their decoded text.
    let context: number[] = [];
    let shown = '';
    let pending: number[] = [];
    const decodeWindow = () => this.decode([...context, ...pending], options);
    return {
      push: (token: number) => {
        pending.push(token);
        const text = decodeWindow();
        // Hold back while the text ends in an unfinished character (or shows nothing new).
        if (text.length <= shown.length || text.endsWith('\ufffd')) return '';
        const added = text.slice(commonPrefix(text, shown));
        context = pending;
        pending = [];
        shown = this.decode(context, options);
        return added;
      },
      flush: () => {
        const text = decodeWindow();
        const rest = text.length > shown.length ? text.slice(commonPrefix(text, shown)) : '';
        context = [];
        pending = [];
        shown = '';
        return rest;
      },
    };
  }

  /** Renders messages with the tokenizer's chat template (from tokenizer_config.json or GGUF). */
  applyChatTemplate(messages: ModelV1Message[], options: ChatTemplateOptions = {}): string {
    const template = this.chatTemplate;
    if (template === undefined) {
      throw new LlmrError({
        code: 'chat-template-missing',
        message:
          'This tokenizer has no chat template: load it with its tokenizer_config.json (or GGUF metadata with tokenizer.chat_template), or pass one as options.chatTemplate when loading.',
      });
    }
    return renderChatTemplate(template, messages, options, this.specialTokenText);
  }
}

function commonPrefix(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  let index = 0;
  while (index < length && a.charCodeAt(index) === b.charCodeAt(index)) index++;
  return index;
}
