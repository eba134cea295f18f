/**
 * GGUF-style metadata built from a tokenizer.json, as a GGUF converter would write it: the
 * vocabulary in id order, token types, merges (byte-level BPE) or scores (SentencePiece:
 * a piece's score ranks the merges that produce it), special ids and add-BOS/EOS flags.
 */
import { GGUF_TOKEN_TYPE } from '../gguf-tokenizer';

type Json = Record<string, unknown>;
interface AddedTokenJson {
  id: number;
  content: string;
  special: boolean;
}

function tokensInIdOrder(json: Json): string[] {
  const model = json.model as { vocab: Record<string, number> | Array<[string, number]> };
  const tokens: string[] = [];
  if (Array.isArray(model.vocab)) {
    model.vocab.forEach(([piece], id) => {
      tokens[id] = piece;
    });
  } else for (const [token, id] of Object.entries(model.vocab)) tokens[id] = token;
  for (const token of (json.added_tokens as AddedTokenJson[]) ?? [])
    tokens[token.id] = token.content;
  return tokens;
}

function tokenTypes(json: Json, tokens: string[]): number[] {
  const added = new Map(
    ((json.added_tokens as AddedTokenJson[]) ?? []).map((token) => [token.id, token]),
  );
  return tokens.map((token, id) => {
    const entry = added.get(id);
    if (entry) return entry.special ? GGUF_TOKEN_TYPE.control : GGUF_TOKEN_TYPE.userDefined;
    return /^<0x[0-9A-F]{2}>$/.test(token) ? GGUF_TOKEN_TYPE.byte : GGUF_TOKEN_TYPE.normal;
  });
}

/** SentencePiece BPE (Llama 2 style) as `tokenizer.ggml.model = "llama"` with scores. */
export function llamaMetadata(
  json: Json,
  options: { bos: number; eos: number; unk: number },
): Json {
  const tokens = tokensInIdOrder(json);
  const merges = (json.model as { merges: Array<string | [string, string]> }).merges.map((merge) =>
    typeof merge === 'string' ? merge.split(' ') : merge,
  );
  const firstRank = new Map<string, number>();
  merges.forEach(([left, right], rank) => {
    const piece = left! + right!;
    if (!firstRank.has(piece)) firstRank.set(piece, rank);
  });
  return {
    'tokenizer.ggml.model': 'llama',
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.scores': Float32Array.from(tokens, (token) => -(firstRank.get(token) ?? 1e9)),
    'tokenizer.ggml.token_type': Int32Array.from(tokenTypes(json, tokens)),
    'tokenizer.ggml.bos_token_id': options.bos,
    'tokenizer.ggml.eos_token_id': options.eos,
    'tokenizer.ggml.unknown_token_id': options.unk,
    'tokenizer.ggml.add_bos_token': true,
    'tokenizer.ggml.add_eos_token': false,
  };
}

/** Byte-level BPE as `tokenizer.ggml.model = "gpt2"` with merges and a `pre` name. */
export function gpt2Metadata(
  json: Json,
  options: { pre: string; bos?: number; eos?: number; addBos: boolean; chatTemplate?: string },
): Json {
  const tokens = tokensInIdOrder(json);
  const merges = (json.model as { merges: Array<string | [string, string]> }).merges.map((merge) =>
    typeof merge === 'string' ? merge : merge.join(' '),
  );
  return {
    'tokenizer.ggml.model': 'gpt2',
    'tokenizer.ggml.pre': options.pre,
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': tokenTypes(json, tokens),
    'tokenizer.ggml.merges': merges,
    ...(options.bos === undefined ? {} : { 'tokenizer.ggml.bos_token_id': BigInt(options.bos) }),
    ...(options.eos === undefined ? {} : { 'tokenizer.ggml.eos_token_id': BigInt(options.eos) }),
    'tokenizer.ggml.add_bos_token': options.addBos,
    ...(options.chatTemplate === undefined
      ? {}
      : { 'tokenizer.chat_template': options.chatTemplate }),
  };
}

/** WordPiece as `tokenizer.ggml.model = "bert"`. */
export function bertMetadata(json: Json): Json {
  const tokens = tokensInIdOrder(json);
  const id = (token: string) => tokens.indexOf(token);
  return {
    'tokenizer.ggml.model': 'bert',
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': tokenTypes(json, tokens),
    'tokenizer.ggml.unknown_token_id': id('[UNK]'),
    'tokenizer.ggml.padding_token_id': id('[PAD]'),
    'tokenizer.ggml.cls_token_id': id('[CLS]'),
    'tokenizer.ggml.seperator_token_id': id('[SEP]'),
  };
}

/** Unigram as `tokenizer.ggml.model = "t5"`. */
export function t5Metadata(json: Json): Json {
  const vocab = (json.model as { vocab: Array<[string, number]> }).vocab;
  const tokens = tokensInIdOrder(json);
  return {
    'tokenizer.ggml.model': 't5',
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.scores': vocab.map(([, score]) => score),
    'tokenizer.ggml.token_type': tokenTypes(json, tokens),
    'tokenizer.ggml.unknown_token_id': 0,
    'tokenizer.ggml.eos_token_id': 2,
    'tokenizer.ggml.add_eos_token': true,
  };
}
