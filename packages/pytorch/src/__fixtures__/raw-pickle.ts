/** Hand-written pickles for hostile-input tests: opcodes and operands as bytes, no Python. */

/** Concatenates opcodes (numbers) and text (latin1, e.g. GLOBAL lines) into bytes. */
export function pickleBytes(...parts: (number | string | readonly number[])[]): Uint8Array {
  const bytes: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') bytes.push(part);
    else if (typeof part === 'string')
      for (const char of part) bytes.push(char.charCodeAt(0) & 0xff);
    else bytes.push(...part);
  }
  return Uint8Array.from(bytes);
}

export const u32 = (value: number) => [
  value & 0xff,
  (value >>> 8) & 0xff,
  (value >>> 16) & 0xff,
  value >>> 24,
];

/** SHORT_BINUNICODE of an ASCII string. */
export const str = (text: string) => [
  0x8c,
  text.length,
  ...[...text].map((char) => char.charCodeAt(0)),
];

/** GLOBAL `module name`. */
export const global = (module: string, name: string) => [
  0x63,
  ...[...`${module}\n${name}\n`].map((char) => char.charCodeAt(0)),
];

export const PROTO2 = [0x80, 0x02];
export const STOP = 0x2e;
export const MARK = 0x28;
export const TUPLE = 0x74;
export const TUPLE1 = 0x85;
export const EMPTY_TUPLE = 0x29;
export const EMPTY_DICT = 0x7d;
export const EMPTY_LIST = 0x5d;
export const REDUCE = 0x52;
export const BUILD = 0x62;
export const BINPERSID = 0x51;
export const SETITEM = 0x73;
export const APPEND = 0x61;
export const BININT1 = 0x4b;
export const NONE = 0x4e;
export const NEWFALSE = 0x89;
export const BINPUT = 0x71;
export const BINGET = 0x68;

/** A one-tensor state dict `{ name: tensor(shape) }` over storage '0' of `numel` floats (zip layout). */
export function stateDictPickle(
  name: string,
  shape: number[],
  numel: number,
  offset = 0,
): Uint8Array {
  return pickleBytes(
    PROTO2,
    EMPTY_DICT,
    str(name),
    global('torch._utils', '_rebuild_tensor_v2'),
    MARK,
    MARK,
    str('storage'),
    global('torch', 'FloatStorage'),
    str('0'),
    str('cpu'),
    0x4a,
    u32(numel),
    TUPLE,
    BINPERSID,
    0x4a,
    u32(offset),
    MARK,
    ...shape.flatMap((dim) => [0x4a, ...u32(dim)]),
    TUPLE,
    MARK,
    ...shape.flatMap((_, index) => [
      0x4a,
      ...u32(shape.slice(index + 1).reduce((a, b) => a * b, 1)),
    ]),
    TUPLE,
    NEWFALSE,
    global('collections', 'OrderedDict'),
    EMPTY_TUPLE,
    REDUCE,
    TUPLE,
    REDUCE,
    SETITEM,
    STOP,
  );
}
