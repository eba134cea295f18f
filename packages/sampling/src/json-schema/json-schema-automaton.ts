/**
 * A byte-level automaton that accepts exactly the JSON texts a (subset of) JSON Schema
 * allows, fed one byte at a time. It runs on bytes, not characters, because tokens of a
 * byte-level BPE may hold half of a UTF-8 character.
 *
 * States are immutable stacks of frames (an object being read, a string, a number...),
 * so trying a candidate token is cheap: advance a copy, keep it only if it survives.
 * `anyOf`/`oneOf`/type unions make it nondeterministic; a set of live stacks is carried.
 *
 * Supported: `type` (string, number, integer, boolean, null, object, array, or a list of
 * them), `enum`, `const`, `properties` + `required` (only the listed properties, each at
 * most once, any order), `additionalProperties` (a schema, for objects without
 * `properties`), `items`, `prefixItems`, `minItems`, `maxItems`, `minLength`,
 * `maxLength`, `anyOf`, `oneOf` (as anyOf), `allOf` with one member, local `$ref`
 * (`#/$defs/...`, `#/definitions/...`, `#`, recursion allowed). An empty schema or
 * `true` means any JSON value. Output is compact JSON: no whitespace except one optional
 * space after `:` and `,`. Ignored (not enforced): `pattern`, `format`, `minimum`,
 * `maximum`, `multipleOf`, `uniqueItems`, string `minLength` on enums.
 */
import type { JSONSchema } from '@llmr/core';
import {
  compileJsonSchema,
  invalid,
  type JsonType,
  type SchemaNode,
  unconstrainedNode,
} from './compile-json-schema';

type NumberPhase =
  | 'start'
  | 'minus'
  | 'zero'
  | 'int'
  | 'dot'
  | 'frac'
  | 'exp'
  | 'exp-sign'
  | 'exp-digits';
const FINAL_NUMBER: ReadonlySet<NumberPhase> = new Set(['zero', 'int', 'frac', 'exp-digits']);
const MAX_NUMBER_LENGTH = 32;

/**
 * Caps the automaton states alive at once: a wide `anyOf` or type union multiplies them,
 * and every candidate token is tried against each.
 */
export const MAX_LIVE_STATES = 1024;

type ObjectPhase =
  | 'first'
  | 'key'
  | 'after-key'
  | 'after-colon'
  | 'after-colon-space'
  | 'value'
  | 'after-value'
  | 'after-comma'
  | 'after-comma-space';
type ArrayPhase = 'first' | 'value' | 'after-value' | 'after-comma' | 'after-comma-space';

type Frame =
  | { kind: 'value'; node: SchemaNode }
  | { kind: 'literal'; options: Uint8Array[]; matched: number }
  | {
      kind: 'string';
      node: SchemaNode;
      length: number;
      escape: boolean;
      hex: number;
      utf8: number;
    }
  | { kind: 'number'; integer: boolean; phase: NumberPhase; length: number }
  | { kind: 'array'; node: SchemaNode; count: number; phase: ArrayPhase }
  | {
      kind: 'object';
      node: SchemaNode;
      seen: readonly string[];
      phase: ObjectPhase;
      key?: string;
    };

/** An immutable stack of frames; `null` is the empty stack (a complete document). */
export interface JsonStack {
  readonly frame: Frame;
  readonly parent: JsonStack | null;
}
export type JsonState = JsonStack | null;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const byte = (character: string) => character.charCodeAt(0);
const QUOTE = byte('"');
const BACKSLASH = byte('\\');
const SPACE = byte(' ');
const COLON = byte(':');
const COMMA = byte(',');
const isDigit = (value: number) => value >= 48 && value <= 57;
const isHex = (value: number) =>
  isDigit(value) || (value >= 65 && value <= 70) || (value >= 97 && value <= 102);

const push = (frame: Frame, parent: JsonState): JsonStack => ({ frame, parent });

function allows(node: SchemaNode, type: JsonType): boolean {
  return !node.types || node.types.has(type) || (type === 'number' && node.types.has('integer'));
}

/** The schema of the value at the next position of an array. */
function itemNode(node: SchemaNode, index: number): SchemaNode | undefined {
  return node.prefixItems?.[index] ?? node.items ?? (node.prefixItems ? undefined : ANY);
}

const ANY: SchemaNode = unconstrainedNode(-1);

/** Keys an object may still take. `undefined` = any key. */
function remainingKeys(frame: Extract<Frame, { kind: 'object' }>): string[] | undefined {
  if (!frame.node.properties) return undefined;
  return [...frame.node.properties.keys()].filter((key) => !frame.seen.includes(key));
}

function requiredSeen(frame: Extract<Frame, { kind: 'object' }>): boolean {
  for (const key of frame.node.required) if (!frame.seen.includes(key)) return false;
  return true;
}

/** A frame finished (consumed its last byte): pop it and tell the parent. */
function complete(parent: JsonState, value?: string): JsonState[] {
  if (parent === null) return [null];
  const frame = parent.frame;
  if (frame.kind === 'object') {
    if (frame.phase === 'key')
      return [push({ ...frame, phase: 'after-key', key: value }, parent.parent)];
    if (frame.phase === 'value') {
      const seen = frame.key === undefined ? frame.seen : [...frame.seen, frame.key];
      return [push({ ...frame, phase: 'after-value', seen, key: undefined }, parent.parent)];
    }
  }
  if (frame.kind === 'array' && frame.phase === 'value')
    return [push({ ...frame, phase: 'after-value', count: frame.count + 1 }, parent.parent)];
  return [];
}

/** Starts a value of `node` under `parent` with its first byte. */
function startValue(node: SchemaNode, parent: JsonState, value: number): JsonState[] {
  if (node.anyOf)
    return node.anyOf.flatMap((alternative) => startValue(alternative, parent, value));
  if (node.literals)
    return feedFrame({ kind: 'literal', options: node.literals, matched: 0 }, parent, value);
  const out: JsonState[] = [];
  if (value === byte('{') && allows(node, 'object'))
    out.push(push({ kind: 'object', node, seen: [], phase: 'first' }, parent));
  else if (value === byte('[') && allows(node, 'array'))
    out.push(push({ kind: 'array', node, count: 0, phase: 'first' }, parent));
  else if (value === QUOTE && allows(node, 'string'))
    out.push(push({ kind: 'string', node, length: 0, escape: false, hex: 0, utf8: 0 }, parent));
  else if ((value === byte('-') || isDigit(value)) && allows(node, 'number')) {
    const integer = !!node.types && !node.types.has('number');
    out.push(...feedFrame({ kind: 'number', integer, phase: 'start', length: 0 }, parent, value));
  } else if (value === byte('t') || value === byte('f')) {
    if (allows(node, 'boolean'))
      out.push(
        ...feedFrame(
          {
            kind: 'literal',
            options: [encoder.encode('true'), encoder.encode('false')],
            matched: 0,
          },
          parent,
          value,
        ),
      );
  } else if (value === byte('n') && allows(node, 'null'))
    out.push(
      ...feedFrame(
        { kind: 'literal', options: [encoder.encode('null')], matched: 0 },
        parent,
        value,
      ),
    );
  return out;
}

/** Feeds a byte to `frame` (the top of the stack, whose rest is `parent`). */
function feedFrame(frame: Frame, parent: JsonState, value: number): JsonState[] {
  switch (frame.kind) {
    case 'value':
      return startValue(frame.node, parent, value);

    case 'literal': {
      const options = frame.options.filter((option) => option[frame.matched] === value);
      const out: JsonState[] = [];
      const longer = options.filter((option) => option.length > frame.matched + 1);
      if (longer.length)
        out.push(push({ kind: 'literal', options: longer, matched: frame.matched + 1 }, parent));
      const done = options.find((option) => option.length === frame.matched + 1);
      if (done) out.push(...complete(parent, JSON.parse(decoder.decode(done)) as string));
      return out;
    }

    case 'string': {
      const next = { ...frame };
      if (frame.utf8 > 0) {
        if ((value & 0xc0) !== 0x80) return [];
        next.utf8--;
      } else if (frame.hex > 0) {
        if (!isHex(value)) return [];
        next.hex--;
      } else if (frame.escape) {
        next.escape = false;
        if (value === byte('u')) next.hex = 4;
        else if (!'"\\/bfnrt'.includes(String.fromCharCode(value))) return [];
      } else if (value === QUOTE) {
        return frame.length >= frame.node.minLength ? complete(parent) : [];
      } else {
        if (frame.length >= frame.node.maxLength) return [];
        if (value < 0x20) return [];
        next.length++;
        if (value === BACKSLASH) next.escape = true;
        else if (value >= 0x80) {
          if ((value & 0xe0) === 0xc0 && value >= 0xc2) next.utf8 = 1;
          else if ((value & 0xf0) === 0xe0) next.utf8 = 2;
          else if ((value & 0xf8) === 0xf0 && value <= 0xf4) next.utf8 = 3;
          else return [];
        }
      }
      return [push(next, parent)];
    }

    case 'number': {
      const digit = isDigit(value);
      let phase: NumberPhase | undefined;
      switch (frame.phase) {
        case 'start':
          phase =
            value === byte('-')
              ? 'minus'
              : value === byte('0')
                ? 'zero'
                : digit
                  ? 'int'
                  : undefined;
          break;
        case 'minus':
          phase = value === byte('0') ? 'zero' : digit ? 'int' : undefined;
          break;
        case 'zero':
        case 'int':
          if (digit && frame.phase === 'int') phase = 'int';
          else if (value === byte('.') && !frame.integer) phase = 'dot';
          else if ((value === byte('e') || value === byte('E')) && !frame.integer) phase = 'exp';
          break;
        case 'dot':
          phase = digit ? 'frac' : undefined;
          break;
        case 'frac':
          phase = digit ? 'frac' : value === byte('e') || value === byte('E') ? 'exp' : undefined;
          break;
        case 'exp':
          phase =
            value === byte('+') || value === byte('-')
              ? 'exp-sign'
              : digit
                ? 'exp-digits'
                : undefined;
          break;
        case 'exp-sign':
        case 'exp-digits':
          phase = digit ? 'exp-digits' : undefined;
          break;
      }
      if (phase && frame.length < MAX_NUMBER_LENGTH)
        return [push({ ...frame, phase, length: frame.length + 1 }, parent)];
      // The number ended before this byte: pop it, then give the byte to the parent.
      if (!FINAL_NUMBER.has(frame.phase)) return [];
      return complete(parent).flatMap((state) =>
        state === null ? [] : feedFrame(state.frame, state.parent, value),
      );
    }

    case 'array': {
      const self = (phase: ArrayPhase) => push({ ...frame, phase }, parent);
      const startItem = () => {
        const node = itemNode(frame.node, frame.count);
        if (!node || frame.count >= frame.node.maxItems) return [];
        return startValue(node, self('value'), value);
      };
      switch (frame.phase) {
        case 'first':
          if (value === byte(']')) return frame.node.minItems <= 0 ? complete(parent) : [];
          return startItem();
        case 'after-value':
          if (value === byte(']'))
            return frame.count >= frame.node.minItems ? complete(parent) : [];
          if (
            value === COMMA &&
            frame.count < frame.node.maxItems &&
            itemNode(frame.node, frame.count)
          )
            return [self('after-comma')];
          return [];
        case 'after-comma':
          if (value === SPACE) return [self('after-comma-space')];
          return startItem();
        case 'after-comma-space':
          return startItem();
        default:
          return [];
      }
    }

    case 'object': {
      const self = (phase: ObjectPhase) => push({ ...frame, phase }, parent);
      const startKey = () => {
        if (value !== QUOTE) return [];
        const keys = remainingKeys(frame);
        if (keys === undefined)
          return [
            push(
              { kind: 'string', node: ANY, length: 0, escape: false, hex: 0, utf8: 0 },
              self('key'),
            ),
          ];
        if (keys.length === 0) return [];
        const options = keys.map((key) => encoder.encode(JSON.stringify(key)));
        return feedFrame({ kind: 'literal', options, matched: 0 }, self('key'), value);
      };
      switch (frame.phase) {
        case 'first':
          if (value === byte('}')) return requiredSeen(frame) ? complete(parent) : [];
          return startKey();
        case 'after-key':
          return value === COLON ? [self('after-colon')] : [];
        case 'after-colon':
        case 'after-colon-space': {
          if (value === SPACE && frame.phase === 'after-colon') return [self('after-colon-space')];
          const node =
            frame.key !== undefined && frame.node.properties
              ? frame.node.properties.get(frame.key)
              : (frame.node.additional ?? ANY);
          return node ? startValue(node, self('value'), value) : [];
        }
        case 'after-value': {
          if (value === byte('}')) return requiredSeen(frame) ? complete(parent) : [];
          const keys = remainingKeys(frame);
          if (value === COMMA && (keys === undefined || keys.length > 0))
            return [self('after-comma')];
          return [];
        }
        case 'after-comma':
          if (value === SPACE) return [self('after-comma-space')];
          return startKey();
        case 'after-comma-space':
          return startKey();
        default:
          return [];
      }
    }
  }
}

/** A state key, for de-duplicating state sets and caching masks. */
export function stateKey(state: JsonState): string {
  const parts: string[] = [];
  for (let stack = state; stack; stack = stack.parent) {
    const frame = stack.frame;
    switch (frame.kind) {
      case 'value':
        parts.push(`v${frame.node.id}`);
        break;
      case 'literal':
        parts.push(
          `l${frame.matched}:${frame.options.map((option) => decoder.decode(option)).join('\u0000')}`,
        );
        break;
      case 'string':
        parts.push(`s${frame.node.id}:${frame.length}:${+frame.escape}:${frame.hex}:${frame.utf8}`);
        break;
      case 'number':
        parts.push(`n${+frame.integer}:${frame.phase}:${frame.length}`);
        break;
      case 'array':
        parts.push(`a${frame.node.id}:${frame.count}:${frame.phase}`);
        break;
      case 'object':
        parts.push(
          `o${frame.node.id}:${frame.phase}:${frame.key ?? ''}:${frame.seen.join('\u0000')}`,
        );
        break;
    }
  }
  return parts.join('|');
}

/**
 * The automaton for one schema: `initial()` gives the start state set, `advance` feeds
 * bytes, `canEnd` says whether the document may stop here.
 */
export interface JsonSchemaAutomaton {
  initial(): JsonState[];
  advance(states: readonly JsonState[], bytes: ArrayLike<number>): JsonState[];
  advanceByte(states: readonly JsonState[], value: number): JsonState[];
  canEnd(states: readonly JsonState[]): boolean;
  /** Whether no more bytes can be added (a complete document whose every path ended). */
  isFinished(states: readonly JsonState[]): boolean;
}

function dedupe(states: JsonState[]): JsonState[] {
  if (states.length < 2) return states;
  const seen = new Map<string, JsonState>();
  for (const state of states) seen.set(stateKey(state), state);
  return [...seen.values()];
}

export function createJsonSchemaAutomaton(schema?: JSONSchema | boolean): JsonSchemaAutomaton {
  const root = compileJsonSchema(schema);
  const advanceByte = (states: readonly JsonState[], value: number): JsonState[] => {
    const next = dedupe(
      states.flatMap((state) =>
        state === null ? [] : feedFrame(state.frame, state.parent, value),
      ),
    );
    if (next.length > MAX_LIVE_STATES)
      invalid(
        '',
        `the schema keeps more than ${MAX_LIVE_STATES} alternatives open at once (MAX_LIVE_STATES); narrow its anyOf/oneOf or type unions.`,
      );
    return next;
  };
  return {
    initial: () => [push({ kind: 'value', node: root }, null)],
    advanceByte,
    advance(states, bytes) {
      let current = states as JsonState[];
      for (let index = 0; index < bytes.length && current.length > 0; index++)
        current = advanceByte(current, bytes[index]!);
      return current;
    },
    canEnd(states) {
      return states.some(
        (state) =>
          state === null ||
          (state.parent === null &&
            state.frame.kind === 'number' &&
            FINAL_NUMBER.has(state.frame.phase)),
      );
    },
    isFinished(states) {
      return states.length > 0 && states.every((state) => state === null);
    },
  };
}
