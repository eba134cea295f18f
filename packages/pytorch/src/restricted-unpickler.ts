/**
 * A restricted unpickler: it reads the pickle opcodes a PyTorch state dict uses and nothing
 * more. Python's own unpickler imports any `module.name` a file asks for and calls it, which
 * is how a checkpoint runs code; here a GLOBAL outside the caller's allow-list is refused on
 * sight, and REDUCE/BUILD/BINPERSID only reach handlers the caller wrote. Nothing is ever
 * imported or evaluated, and every length is checked against the bytes and the limits first.
 */
import { pytorchError } from './pytorch-error';
import type { PytorchLimits } from './pytorch-limits';

/** A `module.name` the file referred to, after the allow-list accepted it. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A Python tuple: frozen, so APPEND/SETITEM on one is refused. */
export type PickleTuple = readonly PickleValue[];

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | Map<PickleValue, PickleValue>
  | PickleGlobal
  | object;

/** What the caller allows a global to do. A global with no `call` can only be passed around. */
export interface PickleGlobalHandler {
  /** REDUCE: `callable(*args)`. */
  call?: (args: PickleTuple) => PickleValue;
  /** BUILD on a value this global made (`value.__setstate__(state)`); return the result. */
  build?: (value: PickleValue, state: PickleValue) => PickleValue;
}

export interface UnpickleOptions {
  /** `module.name` -> what it may do. Anything else is refused. */
  globals: ReadonlyMap<string, PickleGlobalHandler>;
  /** BINPERSID: turns a persistent id (PyTorch: a storage reference) into a value. */
  persistentLoad?: (pid: PickleValue) => PickleValue;
  limits: PytorchLimits;
  /**
   * False when more bytes may follow `bytes` in the file: running off the end then throws
   * `NeedMoreBytes` instead of a truncation error, so the caller can read more and retry.
   */
  complete: boolean;
}

/** Thrown when the pickle continues past the bytes given and more are available. */
export class NeedMoreBytes extends Error {
  constructor() {
    super('the pickle continues past the bytes read so far');
  }
}

const OPCODE_NAMES: Record<number, string> = {
  129: 'NEWOBJ',
  146: 'NEWOBJ_EX',
  105: 'INST',
  111: 'OBJ',
  80: 'PERSID',
  86: 'UNICODE',
  83: 'STRING',
  73: 'INT',
  76: 'LONG',
  70: 'FLOAT',
  103: 'GET',
  112: 'PUT',
  130: 'EXT1',
  131: 'EXT2',
  132: 'EXT4',
  143: 'EMPTY_SET',
  144: 'ADDITEMS',
  145: 'FROZENSET',
  150: 'BYTEARRAY8',
  151: 'NEXT_BUFFER',
  152: 'READONLY_BUFFER',
};

const MAX_LONG_BYTES = 64;
const MAX_GLOBAL_LINE = 256;

/**
 * Unpickles one pickle from `bytes` (which may continue with other data). Returns the value and
 * the number of bytes the pickle took, up to and including STOP.
 */
export function unpickle(
  bytes: Uint8Array,
  options: UnpickleOptions,
): { value: PickleValue; length: number } {
  const { limits } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  const madeBy = new WeakMap<object, PickleGlobalHandler>();
  let position = 0;

  const fail = (message: string, code: 'pytorch-invalid-pickle' = 'pytorch-invalid-pickle') =>
    pytorchError(code, `Pickle at byte ${position}: ${message}`, position);
  const need = (count: number) => {
    if (position + count > bytes.byteLength) {
      if (!options.complete) throw new NeedMoreBytes();
      throw pytorchError(
        'pytorch-truncated',
        `The pickle ends at byte ${bytes.byteLength}, inside an opcode that needs ${count} more bytes at byte ${position}; the file is truncated.`,
        position,
      );
    }
  };
  const take = (count: number) => {
    need(count);
    const start = position;
    position += count;
    return start;
  };
  const pop = (): PickleValue => {
    if (stack.length === 0 || stack.length <= (marks.at(-1) ?? -1))
      throw fail('an opcode needs a value, but the stack is empty');
    return stack.pop() as PickleValue;
  };
  const top = (): PickleValue => {
    if (stack.length === 0) throw fail('an opcode needs a value, but the stack is empty');
    return stack.at(-1) as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    const mark = marks.pop();
    if (mark === undefined) throw fail('an opcode needs a MARK, but none is open');
    return stack.splice(mark);
  };
  const sizedLength = (length: number) => {
    if (length < 0 || !Number.isSafeInteger(length))
      throw fail(`a length of ${length} is not a valid size`);
    if (length > limits.maxStringLength) {
      throw pytorchError(
        'pytorch-limit-exceeded',
        `Pickle at byte ${position}: a string or bytes object of ${length} bytes is above maxStringLength (${limits.maxStringLength}).`,
        position,
      );
    }
    return length;
  };
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const text = (length: number) => {
    const start = take(sizedLength(length));
    try {
      return utf8.decode(bytes.subarray(start, start + length));
    } catch (error) {
      throw pytorchError('pytorch-invalid-pickle', 'A string is not valid UTF-8.', start, error);
    }
  };
  const latin1 = (length: number) => {
    const start = take(sizedLength(length));
    return new TextDecoder('latin1').decode(bytes.subarray(start, start + length));
  };
  const rawBytes = (length: number) => {
    const start = take(sizedLength(length));
    return bytes.slice(start, start + length);
  };
  const long = (length: number): number | bigint => {
    if (length < 0) throw fail(`an integer of ${length} bytes`);
    if (length > MAX_LONG_BYTES) {
      throw pytorchError(
        'pytorch-limit-exceeded',
        `Pickle at byte ${position}: an integer of ${length} bytes is above the ${MAX_LONG_BYTES} a checkpoint needs.`,
        position,
      );
    }
    const start = take(length);
    let value = 0n;
    for (let index = length - 1; index >= 0; index--)
      value = (value << 8n) | BigInt(bytes[start + index]!);
    if (length > 0 && bytes[start + length - 1]! & 0x80) value -= 1n << BigInt(length * 8);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  };
  const memoPut = (index: number) => {
    if (!memo.has(index) && memo.size >= limits.maxMemoSize) {
      throw pytorchError(
        'pytorch-limit-exceeded',
        `Pickle at byte ${position}: more than maxMemoSize (${limits.maxMemoSize}) memo entries.`,
        position,
      );
    }
    memo.set(index, top());
  };
  const memoGet = (index: number) => {
    if (!memo.has(index)) throw fail(`memo entry ${index} is read before it is written`);
    stack.push(memo.get(index) as PickleValue);
  };
  const resolveGlobal = (module: string, name: string) => {
    const qualified = `${module}.${name}`;
    if (!options.globals.has(qualified)) {
      throw pytorchError(
        'pytorch-forbidden-global',
        `The pickle refers to "${qualified.slice(0, 200)}", which a PyTorch state dict never needs; loading it with Python would import and possibly run it. Refused. If you trust the file, re-save it as a plain state dict (torch.save(model.state_dict(), path)) or as safetensors.`,
        position,
      );
    }
    stack.push(new PickleGlobal(module, name));
  };
  const line = () => {
    const start = position;
    const end = bytes.subarray(start, start + MAX_GLOBAL_LINE).indexOf(0x0a);
    if (end < 0) {
      if (bytes.byteLength - start < MAX_GLOBAL_LINE) need(bytes.byteLength - start + 1);
      throw fail(`a GLOBAL name is longer than ${MAX_GLOBAL_LINE} bytes`);
    }
    position = start + end + 1;
    return new TextDecoder('latin1').decode(bytes.subarray(start, start + end));
  };
  const mutable = (value: PickleValue, what: string): value is PickleValue[] => {
    if (Array.isArray(value) && !Object.isFrozen(value)) return true;
    throw fail(`${what} on something that is not a list`);
  };
  const dictionary = (value: PickleValue, what: string): Map<PickleValue, PickleValue> => {
    if (value instanceof Map) return value;
    throw fail(`${what} on something that is not a dict`);
  };

  for (;;) {
    const opcodeAt = take(1);
    const opcode = bytes[opcodeAt]!;
    switch (opcode) {
      case 0x80: {
        const protocol = bytes[take(1)]!;
        if (protocol > 5) throw fail(`pickle protocol ${protocol} is not one Python writes`);
        break;
      }
      case 0x95: // FRAME: a length hint for buffered readers; the bytes follow inline.
        take(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length > 0)
          throw fail(`STOP with ${stack.length} values on the stack (expected exactly 1)`);
        return { value: stack[0] as PickleValue, length: position };
      case 0x28: // MARK
        if (marks.length >= limits.maxMarkDepth) {
          throw pytorchError(
            'pytorch-limit-exceeded',
            `Pickle at byte ${position}: MARKs nested deeper than maxMarkDepth (${limits.maxMarkDepth}).`,
            position,
          );
        }
        marks.push(stack.length);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(take(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(bytes[take(1)]!);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(take(2), true));
        break;
      case 0x8a: // LONG1
        stack.push(long(bytes[take(1)]!));
        break;
      case 0x8b: // LONG4
        stack.push(long(view.getInt32(take(4), true)));
        break;
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view.getFloat64(take(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(view.getUint32(take(4), true)));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(bytes[take(1)]!));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(Number(view.getBigUint64(take(8), true))));
        break;
      case 0x54: // BINSTRING (Python 2 str)
        stack.push(latin1(view.getInt32(take(4), true)));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(bytes[take(1)]!));
        break;
      case 0x42: // BINBYTES
        stack.push(rawBytes(view.getUint32(take(4), true)));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(rawBytes(bytes[take(1)]!));
        break;
      case 0x8e: // BINBYTES8
        stack.push(rawBytes(Number(view.getBigUint64(take(8), true))));
        break;
      case 0x74: // TUPLE
        stack.push(Object.freeze(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop()]));
        break;
      case 0x86: {
        const second = pop();
        stack.push(Object.freeze([pop(), second]));
        break;
      }
      case 0x87: {
        const third = pop();
        const second = pop();
        stack.push(Object.freeze([pop(), second, third]));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        const value = pop();
        const list = top();
        if (mutable(list, 'APPEND')) list.push(value);
        break;
      }
      case 0x65: {
        const values = popMark();
        const list = top();
        if (mutable(list, 'APPENDS')) for (const value of values) list.push(value);
        break;
      }
      case 0x64: {
        const items = popMark();
        if (items.length % 2) throw fail('DICT with an odd number of items');
        const map = new Map<PickleValue, PickleValue>();
        for (let index = 0; index < items.length; index += 2)
          map.set(items[index] as PickleValue, items[index + 1] as PickleValue);
        stack.push(map);
        break;
      }
      case 0x73: {
        const value = pop();
        const key = pop();
        dictionary(top(), 'SETITEM').set(key, value);
        break;
      }
      case 0x75: {
        const items = popMark();
        if (items.length % 2) throw fail('SETITEMS with an odd number of items');
        const map = dictionary(top(), 'SETITEMS');
        for (let index = 0; index < items.length; index += 2)
          map.set(items[index] as PickleValue, items[index + 1] as PickleValue);
        break;
      }
      case 0x71: // BINPUT
        memoPut(bytes[take(1)]!);
        break;
      case 0x72: // LONG_BINPUT
        memoPut(view.getUint32(take(4), true));
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x68: // BINGET
        memoGet(bytes[take(1)]!);
        break;
      case 0x6a: // LONG_BINGET
        memoGet(view.getUint32(take(4), true));
        break;
      case 0x63: {
        const module = line();
        resolveGlobal(module, line());
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw fail('STACK_GLOBAL needs two strings');
        resolveGlobal(module, name);
        break;
      }
      case 0x52: {
        const args = pop();
        const callable = pop();
        const handler =
          callable instanceof PickleGlobal
            ? options.globals.get(callable.qualifiedName)
            : undefined;
        if (!handler?.call) {
          throw pytorchError(
            'pytorch-forbidden-call',
            `Pickle at byte ${position}: REDUCE calls ${callable instanceof PickleGlobal ? `"${callable.qualifiedName}"` : `a ${describe(callable)}`}, which is not a function a state dict calls. Refused.`,
            position,
          );
        }
        if (!Array.isArray(args) || !Object.isFrozen(args))
          throw fail(`REDUCE needs a tuple of arguments, not a ${describe(args)}`);
        const result = handler.call(args);
        if (typeof result === 'object' && result !== null) madeBy.set(result, handler);
        stack.push(result);
        break;
      }
      case 0x62: {
        const state = pop();
        const target = pop();
        const handler =
          typeof target === 'object' && target !== null ? madeBy.get(target) : undefined;
        if (!handler?.build) {
          throw pytorchError(
            'pytorch-forbidden-call',
            `Pickle at byte ${position}: BUILD sets the state of a ${describe(target)}, which a state dict never does. Refused.`,
            position,
          );
        }
        stack.push(handler.build(target, state));
        break;
      }
      case 0x51: {
        const pid = pop();
        if (!options.persistentLoad)
          throw pytorchError('pytorch-forbidden-call', 'BINPERSID is not expected here.', position);
        stack.push(options.persistentLoad(pid));
        break;
      }
      case 0x30: // POP: the top value, or the open MARK when nothing is above it (as Python does)
        if (stack.length > (marks.at(-1) ?? 0)) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default: {
        const name = OPCODE_NAMES[opcode];
        throw pytorchError(
          'pytorch-unsupported-opcode',
          `Pickle at byte ${opcodeAt}: opcode 0x${opcode.toString(16).padStart(2, '0')}${name ? ` (${name})` : ''} is not one a PyTorch state dict uses${name ? '' : ' (or not a pickle opcode at all)'}. Refused.`,
          opcodeAt,
        );
      }
    }
  }
}

/** A short name for a value's kind, for messages. */
export function describe(value: PickleValue): string {
  if (value === null) return 'None';
  if (value instanceof PickleGlobal) return `global ${value.qualifiedName}`;
  if (value instanceof Map) return 'dict';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return Object.isFrozen(value) ? 'tuple' : 'list';
  if (typeof value === 'object')
    return (value as { kind?: string }).kind ?? value.constructor?.name ?? 'object';
  return typeof value === 'bigint' ? 'int' : typeof value;
}
