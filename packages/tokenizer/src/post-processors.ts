/**
 * Post-processors add the template tokens around an encoded sequence (BOS, [CLS]/[SEP],
 * <s>/</s>) and, for byte-level vocabularies, trim spaces out of offsets.
 */
import { BYTE_TO_STRING } from './byte-level';
import {
  MAX_NESTING_DEPTH,
  readArray,
  readBoolean,
  readObject,
  readString,
  readTokenId,
  tokenizerJsonError,
} from './json-fields';
import { isWhitespace } from './unicode';

/** An encoding under construction: parallel arrays of ids, offsets and special flags. */
export interface Encoding {
  ids: number[];
  /** `[start, end]` pairs, flat; null when offsets are not tracked. */
  offsets: number[] | null;
  /** 1 where the token was added by a template (or is an added special token). */
  special: number[];
}

export interface PostProcessor {
  /**
   * Adds template tokens when `addSpecialTokens`; may adjust offsets either way. `tokenAt`
   * gives the value of the token at an index (what offset trimming looks at).
   */
  process(
    encoding: Encoding,
    addSpecialTokens: boolean,
    tokenAt: (index: number) => string | undefined,
  ): Encoding;
  /** How many tokens the template adds to a single sequence. */
  readonly addedTokens: number;
}

function wrap(encoding: Encoding, before: number[], after: number[]): Encoding {
  const ids = [...before, ...encoding.ids, ...after];
  const special = [...before.map(() => 1), ...encoding.special, ...after.map(() => 1)];
  let offsets: number[] | null = null;
  if (encoding.offsets) {
    offsets = [];
    for (let index = 0; index < before.length; index++) offsets.push(0, 0);
    for (const value of encoding.offsets) offsets.push(value);
    for (let index = 0; index < after.length; index++) offsets.push(0, 0);
  }
  return { ids, offsets, special };
}

const SPACE_CHAR = BYTE_TO_STRING[0x20]!;

/** The reference's ByteLevel offset trimming: leading and trailing spaces leave the range. */
function trimOffsets(
  encoding: Encoding,
  addPrefixSpace: boolean,
  tokenAt: (index: number) => string | undefined,
): void {
  const offsets = encoding.offsets;
  if (!offsets) return;
  encoding.ids.forEach((_id, index) => {
    const token = tokenAt(index) ?? '';
    const chars = [...token];
    const isSpace = (char: string) => char === SPACE_CHAR || isWhitespace(char.codePointAt(0)!);
    let leading = 0;
    while (leading < chars.length && isSpace(chars[leading]!)) leading++;
    let trailing = 0;
    while (trailing < chars.length && isSpace(chars[chars.length - 1 - trailing]!)) trailing++;
    if (leading === 0 && trailing === 0) return;
    let start = offsets[index * 2]!;
    let end = offsets[index * 2 + 1]!;
    if (leading > 0) {
      const isFirst = index === 0 || start === 0;
      if (isFirst && addPrefixSpace && leading === 1) leading = 0;
      start = Math.min(start + leading, end);
    }
    if (trailing > 0 && end >= trailing) end = Math.max(end - trailing, start);
    offsets[index * 2] = start;
    offsets[index * 2 + 1] = end;
  });
}

function readPair(value: unknown, path: string): [string, number] {
  const pair = readArray(value, path);
  if (pair.length !== 2 || typeof pair[0] !== 'string') {
    throw tokenizerJsonError(path, 'must be ["token", id].');
  }
  return [pair[0], readTokenId(pair[1], `${path}[1]`)];
}

export function createPostProcessor(
  value: unknown,
  path = 'post_processor',
  depth = 0,
): PostProcessor | null {
  if (value === null || value === undefined) return null;
  if (depth > MAX_NESTING_DEPTH) throw tokenizerJsonError(path, 'is nested too deeply.');
  const object = readObject(value, path);
  const type = readString(object, 'type', path);
  switch (type) {
    case 'TemplateProcessing': {
      const specialTokens = readObject(object.special_tokens ?? {}, `${path}.special_tokens`);
      const idsOf = (name: string, piecePath: string): number[] => {
        const entry = specialTokens[name];
        if (entry === undefined) {
          throw tokenizerJsonError(
            piecePath,
            `names the special token ${JSON.stringify(name)}, which is not in "${path}.special_tokens".`,
          );
        }
        const tokenPath = `${path}.special_tokens[${JSON.stringify(name)}]`;
        return readArray(readObject(entry, tokenPath).ids, `${tokenPath}.ids`).map((id, index) =>
          readTokenId(id, `${tokenPath}.ids[${index}]`),
        );
      };
      const before: number[] = [];
      const after: number[] = [];
      let seenSequence = false;
      readArray(object.single, `${path}.single`).forEach((piece, index) => {
        const piecePath = `${path}.single[${index}]`;
        const pieceObject = readObject(piece, piecePath);
        if (pieceObject.Sequence !== undefined) {
          // Only one sequence in the single template; a second "A" would repeat the text.
          seenSequence = true;
          return;
        }
        const special = readObject(pieceObject.SpecialToken, `${piecePath}.SpecialToken`);
        const ids = idsOf(readString(special, 'id', `${piecePath}.SpecialToken`), piecePath);
        (seenSequence ? after : before).push(...ids);
      });
      return {
        addedTokens: before.length + after.length,
        process: (encoding, addSpecialTokens) =>
          addSpecialTokens ? wrap(encoding, before, after) : encoding,
      };
    }
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const [, sepId] = readPair(object.sep, `${path}.sep`);
      const [, clsId] = readPair(object.cls, `${path}.cls`);
      const trim = type === 'RobertaProcessing' && readBoolean(object, 'trim_offsets', path, true);
      const addPrefixSpace = readBoolean(object, 'add_prefix_space', path, true);
      return {
        addedTokens: 2,
        process: (encoding, addSpecialTokens, tokenAt) => {
          if (trim) trimOffsets(encoding, addPrefixSpace, tokenAt);
          return addSpecialTokens ? wrap(encoding, [clsId], [sepId]) : encoding;
        },
      };
    }
    case 'ByteLevel': {
      const trim = readBoolean(object, 'trim_offsets', path, true);
      const addPrefixSpace = readBoolean(object, 'add_prefix_space', path, true);
      return {
        addedTokens: 0,
        process: (encoding, _addSpecialTokens, tokenAt) => {
          if (trim) trimOffsets(encoding, addPrefixSpace, tokenAt);
          return encoding;
        },
      };
    }
    case 'Sequence': {
      const steps = readArray(object.processors, `${path}.processors`)
        .map((step, index) => createPostProcessor(step, `${path}.processors[${index}]`, depth + 1))
        .filter((step): step is PostProcessor => step !== null);
      return {
        addedTokens: steps.reduce((sum, step) => sum + step.addedTokens, 0),
        // Template tokens come last in practice; indices past the input read as undefined.
        process: (encoding, addSpecialTokens, tokenAt) =>
          steps.reduce(
            (current, step) => step.process(current, addSpecialTokens, tokenAt),
            encoding,
          ),
      };
    }
    default:
      throw tokenizerJsonError(
        `${path}.type`,
        `is "${type}", which llmr does not support (supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence).`,
      );
  }
}
