/**
 * Hand-written hostile pickles: code-running globals, REDUCE chains, memo bombs, huge declared
 * sizes. Each is refused with a ParseError naming what was wrong; nothing runs.
 */
import { ParseError } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import {
  APPEND,
  BINGET,
  BINPERSID,
  BINPUT,
  BUILD,
  EMPTY_DICT,
  EMPTY_LIST,
  EMPTY_TUPLE,
  global,
  MARK,
  NONE,
  PROTO2,
  pickleBytes,
  REDUCE,
  STOP,
  stateDictPickle,
  str,
  TUPLE,
  TUPLE1,
  u32,
} from './__fixtures__/raw-pickle';
import { torchZip } from './__fixtures__/stored-zip';
import { DEFAULT_PYTORCH_LIMITS } from './pytorch-limits';
import { openPytorch } from './pytorch-reader';
import { unpickle } from './restricted-unpickler';
import { collectTensors, unpickleCheckpoint } from './torch-pickle';

function refusal(bytes: Uint8Array, limits = DEFAULT_PYTORCH_LIMITS) {
  try {
    const { value } = unpickleCheckpoint(bytes, { limits, complete: true });
    collectTensors(value, limits);
  } catch (error) {
    if (!ParseError.isInstance(error)) throw error;
    return error;
  }
  throw new Error('the pickle was accepted');
}

describe('the restricted unpickler', () => {
  it('reads the plain values a state dict may hold', () => {
    const bytes = pickleBytes(
      PROTO2,
      MARK,
      NONE,
      0x88,
      0x4a,
      u32(0xfffffffe),
      0x8a,
      10,
      [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19],
      0x47,
      [0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
      str('é'.normalize('NFC').length === 1 ? 'ok' : 'x'),
      0x43,
      2,
      [1, 2],
      TUPLE,
      STOP,
    );
    const { value, length } = unpickle(bytes, {
      globals: new Map(),
      limits: DEFAULT_PYTORCH_LIMITS,
      complete: true,
    });
    expect(length).toBe(bytes.byteLength);
    expect(value).toEqual([
      null,
      true,
      -2,
      0x1950a86a20f9469cfc6cn,
      1.5,
      'ok',
      Uint8Array.of(1, 2),
    ]);
  });

  it.each([
    ['os', 'system'],
    ['posix', 'system'],
    ['builtins', 'eval'],
    ['__builtin__', 'exec'],
    ['subprocess', 'Popen'],
    ['torch', 'load'],
    ['torch.nn.modules.linear', 'Linear'],
  ])('refuses the global %s.%s before anything could call it', (module, name) => {
    const bytes = pickleBytes(
      PROTO2,
      global(module, name),
      str('touch pwned'),
      TUPLE1,
      REDUCE,
      STOP,
    );
    const error = refusal(bytes);
    expect(error.code).toBe('pytorch-forbidden-global');
    expect(error.message).toContain(`"${module}.${name}"`);
  });

  it('refuses STACK_GLOBAL of a forbidden name the same way', () => {
    const bytes = pickleBytes(PROTO2, str('os'), str('system'), 0x93, STOP);
    expect(refusal(bytes).message).toContain('"os.system"');
  });

  it('refuses REDUCE on an allowed global that is not a function (a storage class)', () => {
    const bytes = pickleBytes(PROTO2, global('torch', 'FloatStorage'), EMPTY_TUPLE, REDUCE, STOP);
    const error = refusal(bytes);
    expect(error.code).toBe('pytorch-forbidden-call');
    expect(error.message).toContain('torch.FloatStorage');
  });

  it('refuses REDUCE chains: calling what a REDUCE returned', () => {
    const bytes = pickleBytes(
      PROTO2,
      global('collections', 'OrderedDict'),
      EMPTY_TUPLE,
      REDUCE,
      EMPTY_TUPLE,
      REDUCE,
      STOP,
    );
    const error = refusal(bytes);
    expect(error.code).toBe('pytorch-forbidden-call');
    expect(error.message).toContain('a dict');
  });

  it('refuses BUILD on a value no allowed global made, and NEWOBJ/INST outright', () => {
    expect(refusal(pickleBytes(PROTO2, EMPTY_DICT, EMPTY_DICT, BUILD, STOP)).code).toBe(
      'pytorch-forbidden-call',
    );
    const newobj = refusal(
      pickleBytes(PROTO2, global('collections', 'OrderedDict'), EMPTY_TUPLE, 0x81, STOP),
    );
    expect(newobj.code).toBe('pytorch-unsupported-opcode');
    expect(newobj.message).toContain('NEWOBJ');
    expect(refusal(pickleBytes(PROTO2, 0x69, 'os\nsystem\n', STOP)).message).toContain('INST');
  });

  it('refuses persistent ids that are not storages', () => {
    const bytes = pickleBytes(PROTO2, str('evil'), TUPLE1, BINPERSID, STOP);
    expect(refusal(bytes).code).toBe('pytorch-forbidden-call');
  });

  it('a memo bomb (one list referenced 2^40 times over) is walked in linear time', () => {
    // l0 = []; l_{k+1} = [l_k, l_k]: 40 levels name 2^40 paths to the innermost list.
    const POP = 0x30;
    const parts: (number | number[])[] = [PROTO2, EMPTY_LIST, BINPUT, 0, POP];
    for (let level = 1; level <= 40; level++) {
      parts.push(EMPTY_LIST, BINGET, level - 1, APPEND, BINGET, level - 1, APPEND, BINPUT, level);
      parts.push(POP);
    }
    // A list that holds itself, too.
    parts.push(BINGET, 40, BINGET, 40, APPEND, STOP);
    const limits = { ...DEFAULT_PYTORCH_LIMITS, maxContainerDepth: 64 };
    const started = performance.now();
    const error = refusal(pickleBytes(...parts), limits);
    expect(error.code).toBe('pytorch-no-tensors');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('bounds the memo, MARK nesting and string sizes by named limits', () => {
    const memo = pickleBytes(
      PROTO2,
      NONE,
      ...Array.from({ length: 20 }, (_, index) => [0x72, ...u32(index)]).flat(),
      STOP,
    );
    const small = { ...DEFAULT_PYTORCH_LIMITS, maxMemoSize: 10, maxMarkDepth: 5 };
    expect(refusal(memo, small).message).toContain('maxMemoSize');
    expect(refusal(pickleBytes(PROTO2, ...Array(6).fill(MARK), STOP), small).message).toContain(
      'maxMarkDepth',
    );
    const huge = refusal(pickleBytes(PROTO2, 0x58, u32(0xfffffff0), STOP));
    expect(huge.code).toBe('pytorch-limit-exceeded');
    const bytes8 = refusal(pickleBytes(PROTO2, 0x8e, [0, 0, 0, 0, 0, 0, 0x10, 0], STOP));
    expect(bytes8.code).toBe('pytorch-limit-exceeded');
    expect(refusal(pickleBytes(PROTO2, 0x8b, u32(1 << 30), STOP)).code).toBe(
      'pytorch-limit-exceeded',
    );
  });

  it('refuses malformed pickles: empty stack, unopened MARK, unknown memo, no STOP', () => {
    expect(refusal(pickleBytes(PROTO2, REDUCE, STOP)).code).toBe('pytorch-invalid-pickle');
    expect(refusal(pickleBytes(PROTO2, TUPLE, STOP)).message).toContain('MARK');
    expect(refusal(pickleBytes(PROTO2, BINGET, 7, STOP)).message).toContain('memo entry 7');
    expect(refusal(pickleBytes(PROTO2, EMPTY_DICT)).code).toBe('pytorch-truncated');
    expect(refusal(pickleBytes(PROTO2, NONE, NONE, STOP)).message).toContain('STOP with 2');
  });

  it('tensors that reach outside their storage, or claim absurd sizes, are refused', () => {
    expect(refusal(stateDictPickle('w', [4, 4], 15)).code).toBe('pytorch-invalid-tensor');
    expect(refusal(stateDictPickle('w', [4, 4], 16, 1)).code).toBe('pytorch-invalid-tensor');
    expect(refusal(stateDictPickle('w', [0x7fffffff, 0x7fffffff], 16)).message).toContain(
      'outside its storage',
    );
    const { value } = unpickleCheckpoint(stateDictPickle('w', [4, 4], 16), {
      limits: DEFAULT_PYTORCH_LIMITS,
      complete: true,
    });
    expect(collectTensors(value, DEFAULT_PYTORCH_LIMITS).get('w')?.shape).toEqual([4, 4]);
  });
});

describe('hostile archives', () => {
  it('a storage that declares more elements than its entry holds is refused', async () => {
    const bytes = torchZip(stateDictPickle('w', [4], 1 << 30), { 0: new Uint8Array(16) });
    const error = await openPytorch(bytes).catch((caught) => caught);
    expect(ParseError.isInstance(error)).toBe(true);
    expect(error.message).toContain('holds 16 bytes');
  });

  it('a pickle naming a storage the archive lacks is refused', async () => {
    const error = await openPytorch(torchZip(stateDictPickle('w', [4], 4), {})).catch(
      (caught) => caught,
    );
    expect(error.code).toBe('pytorch-invalid-zip');
    expect(error.message).toContain('archive/data/0');
  });

  it('a valid hand-made archive reads', async () => {
    const values = Float32Array.of(1, 2, 3, 4);
    const file = await openPytorch(
      torchZip(stateDictPickle('w', [2, 2], 4), { 0: new Uint8Array(values.buffer) }),
    );
    expect(Array.from(await file.readFloat32('w'))).toEqual([1, 2, 3, 4]);
  });
});
