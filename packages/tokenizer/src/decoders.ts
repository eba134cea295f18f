/** Decoders turn token strings back into text; each maps a list of strings to a new list. */
import { fromByteLevel } from './byte-level';
import {
  MAX_NESTING_DEPTH,
  readArray,
  readBoolean,
  readInteger,
  readObject,
  readOptionalString,
  readPattern,
  readString,
  tokenizerJsonError,
} from './json-fields';
import { compileOnigRegex } from './onig-regex';
import { readMetaspaceOptions } from './pre-tokenizers';
import { utf8DecodeLossy, utf8DecodeStrict, utf8Encode } from './unicode';

export interface Decoder {
  decodeChain(tokens: string[]): string[];
}

function byteLevelDecode(tokens: string[]): string[] {
  const bytes: number[] = [];
  for (const token of tokens) {
    const mapped = fromByteLevel(token);
    if (mapped) for (const byte of mapped) bytes.push(byte);
    else for (const byte of utf8Encode(token)) bytes.push(byte);
  }
  return [utf8DecodeLossy(Uint8Array.from(bytes))];
}

function parseByteToken(token: string): number | undefined {
  if (token.length !== 6 || !token.startsWith('<0x') || token[5] !== '>') return undefined;
  const hex = token.slice(3, 5);
  if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
  return Number.parseInt(hex, 16);
}

function byteFallbackDecode(tokens: string[]): string[] {
  const out: string[] = [];
  let pending: number[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = utf8DecodeStrict(Uint8Array.from(pending));
    if (text !== undefined) out.push(text);
    else for (let index = 0; index < pending.length; index++) out.push('\ufffd');
    pending = [];
  };
  for (const token of tokens) {
    const byte = parseByteToken(token);
    if (byte !== undefined) {
      pending.push(byte);
      continue;
    }
    flush();
    out.push(token);
  }
  flush();
  return out;
}

function wordPieceCleanup(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

export function createDecoder(value: unknown, path = 'decoder', depth = 0): Decoder | null {
  if (value === null || value === undefined) return null;
  if (depth > MAX_NESTING_DEPTH) throw tokenizerJsonError(path, 'is nested too deeply.');
  const object = readObject(value, path);
  const type = readString(object, 'type', path);
  switch (type) {
    case 'ByteLevel':
      return { decodeChain: byteLevelDecode };
    case 'ByteFallback':
      return { decodeChain: byteFallbackDecode };
    case 'Fuse':
      return { decodeChain: (tokens) => [tokens.join('')] };
    case 'Metaspace': {
      const { replacement, prependScheme } = readMetaspaceOptions(object, path);
      return {
        decodeChain: (tokens) =>
          tokens.map((token, index) => {
            if (index === 0 && prependScheme !== 'never') return token.replaceAll(replacement, '');
            return token.replaceAll(replacement, ' ');
          }),
      };
    }
    case 'Strip': {
      const content = readString(object, 'content', path);
      const start = readInteger(object, 'start', path, 0);
      const stop = readInteger(object, 'stop', path, 0);
      return {
        decodeChain: (tokens) =>
          tokens.map((token) => {
            const chars = [...token];
            let startCut = 0;
            for (let index = 0; index < Math.min(start, chars.length); index++) {
              if (chars[index] !== content) break;
              startCut = index + 1;
            }
            let stopCut = chars.length;
            for (let index = 0; index < stop; index++) {
              const position = chars.length - index - 1;
              if (position < 0 || chars[position] !== content) break;
              stopCut = position;
            }
            return stopCut > startCut ? chars.slice(startCut, stopCut).join('') : '';
          }),
      };
    }
    case 'Replace': {
      const pattern = readPattern(object, 'pattern', path);
      const content = readString(object, 'content', path);
      if (pattern.kind === 'string') {
        const literal = pattern.source;
        return {
          decodeChain: (tokens) =>
            literal ? tokens.map((token) => token.replaceAll(literal, content)) : tokens,
        };
      }
      const regex = compileOnigRegex(pattern.source, `${path}.pattern.Regex`);
      return {
        decodeChain: (tokens) => tokens.map((token) => token.replace(regex, () => content)),
      };
    }
    case 'WordPiece': {
      const prefix = readOptionalString(object, 'prefix', path) ?? '##';
      const cleanup = readBoolean(object, 'cleanup', path, true);
      return {
        decodeChain: (tokens) =>
          tokens.map((token, index) => {
            let out = token;
            if (index !== 0) out = out.startsWith(prefix) ? out.slice(prefix.length) : ` ${out}`;
            return cleanup ? wordPieceCleanup(out) : out;
          }),
      };
    }
    case 'BPEDecoder': {
      const suffix = readOptionalString(object, 'suffix', path) ?? '</w>';
      return {
        decodeChain: (tokens) =>
          tokens.map((token, index) =>
            token.replaceAll(suffix, index === tokens.length - 1 ? '' : ' '),
          ),
      };
    }
    case 'CTC': {
      const padToken = readOptionalString(object, 'pad_token', path) ?? '<pad>';
      const delimiter = readOptionalString(object, 'word_delimiter_token', path) ?? '|';
      const cleanup = readBoolean(object, 'cleanup', path, true);
      return {
        decodeChain: (tokens) =>
          tokens
            .filter((token, index) => index === 0 || token !== tokens[index - 1])
            .filter((token) => token !== padToken)
            .map((token) => {
              const out = token.replaceAll(delimiter, ' ');
              return cleanup ? wordPieceCleanup(out).replaceAll(delimiter, ' ') : out;
            }),
      };
    }
    case 'Sequence': {
      const steps = readArray(object.decoders, `${path}.decoders`)
        .map((step, index) => createDecoder(step, `${path}.decoders[${index}]`, depth + 1))
        .filter((step): step is Decoder => step !== null);
      return {
        decodeChain: (tokens) => steps.reduce((current, step) => step.decodeChain(current), tokens),
      };
    }
    default:
      throw tokenizerJsonError(
        `${path}.type`,
        `is "${type}", which llmr does not support (supported: ByteLevel, ByteFallback, Fuse, Metaspace, Strip, Replace, WordPiece, BPEDecoder, CTC, Sequence).`,
      );
  }
}
