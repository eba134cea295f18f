/**
 * Hostile input: checkpoints that real PyTorch wrote with code in them, then thousands of
 * truncated, bit-flipped, overwritten and random variants of real files. Every one must be
 * answered by a ParseError with a known code (or read successfully, and then every tensor must
 * read safely), quickly, without a crash, a hang or a giant allocation.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParseError } from '@llmr/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateDictPickle } from './__fixtures__/raw-pickle';
import { torchZip } from './__fixtures__/stored-zip';
import type { PytorchErrorCode } from './pytorch-error';
import { openPytorch } from './pytorch-reader';
import { runTorchScript } from './testing/torch-python';

const KNOWN_CODES = new Set<PytorchErrorCode>([
  'pytorch-unknown-format',
  'pytorch-truncated',
  'pytorch-invalid-zip',
  'pytorch-unsupported-compression',
  'pytorch-unsupported-opcode',
  'pytorch-forbidden-global',
  'pytorch-forbidden-call',
  'pytorch-invalid-pickle',
  'pytorch-invalid-tensor',
  'pytorch-unknown-dtype',
  'pytorch-no-tensors',
  'pytorch-limit-exceeded',
]);

/** Generous: a case takes about a millisecond; this only catches hangs. */
const CASE_TIME_LIMIT_MS = 1000;

let dir: string;
let marker: string;
let corpus: Uint8Array[] = [];
let evil: Record<string, Uint8Array> = {};

async function outcome(bytes: Uint8Array): Promise<string> {
  const started = performance.now();
  let result: string;
  try {
    const file = await openPytorch(bytes);
    for (const name of file.names) {
      const values = await file.readFloat32(name);
      expect(values.length).toBe(file.shape(name).reduce((product, dim) => product * dim, 1));
    }
    result = 'ok';
  } catch (error) {
    if (!ParseError.isInstance(error)) throw error;
    expect(error.format).toBe('pytorch');
    expect(KNOWN_CODES.has(error.code as PytorchErrorCode), error.code).toBe(true);
    result = error.code;
  }
  const elapsed = performance.now() - started;
  if (elapsed > CASE_TIME_LIMIT_MS) throw new Error(`a case took ${elapsed.toFixed(0)} ms`);
  return result;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-pytorch-hostile-'));
  marker = join(dir, 'pwned');
  const script = `
import json, os, sys, torch
args = json.load(sys.stdin)
d = args['dir']
class Evil:
    def __reduce__(self):
        return (os.system, ('touch ' + args['marker'],))
sd = {'w': torch.arange(6, dtype=torch.float32).reshape(2, 3), 'h': torch.ones(3, dtype=torch.float16)}
torch.save(sd, os.path.join(d, 'zip.pt'))
torch.save(sd, os.path.join(d, 'legacy.pt'), _use_new_zipfile_serialization=False)
torch.save({'w': sd['w'], 'x': Evil()}, os.path.join(d, 'evil-zip.pt'))
torch.save({'w': sd['w'], 'x': Evil()}, os.path.join(d, 'evil-legacy.pt'), _use_new_zipfile_serialization=False)
torch.save(torch.nn.Linear(2, 2), os.path.join(d, 'module.pt'))
torch.save({'opt': torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)}, os.path.join(d, 'optim.pt'))
`;
  await runTorchScript(script, { dir, marker });
  const read = (name: string) => readFile(join(dir, name)).then((bytes) => new Uint8Array(bytes));
  corpus = [
    await read('zip.pt'),
    await read('legacy.pt'),
    torchZip(stateDictPickle('w', [2, 2], 4), {
      0: new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer),
    }),
  ];
  evil = {
    'evil-zip.pt': await read('evil-zip.pt'),
    'evil-legacy.pt': await read('evil-legacy.pt'),
    'module.pt': await read('module.pt'),
    'optim.pt': await read('optim.pt'),
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hostile PyTorch checkpoints', () => {
  it('the corpus itself reads', async () => {
    for (const bytes of corpus) expect(await outcome(bytes)).toBe('ok');
  });

  it.each([
    ['evil-zip.pt', 'posix.system'],
    ['evil-legacy.pt', 'posix.system'],
    ['module.pt', 'torch.nn.modules.linear.Linear'],
    ['optim.pt', 'torch.optim.sgd.SGD'],
  ])(
    '%s (code written by real torch.save) is refused naming %s; nothing runs',
    async (name, global) => {
      const error = await openPytorch(evil[name]!).catch((caught) => caught);
      expect(ParseError.isInstance(error)).toBe(true);
      expect(error.code).toBe('pytorch-forbidden-global');
      expect(error.message).toContain(`"${global}"`);
      expect(existsSync(marker)).toBe(false);
    },
  );

  it('every truncation of every corpus file is refused', async () => {
    let count = 0;
    for (const bytes of corpus) {
      for (let length = 0; length < bytes.byteLength; length++) {
        const result = await outcome(bytes.slice(0, length));
        // A legacy file cut after its last storage still holds everything; nothing else may read.
        if (result === 'ok') expect(length).toBeGreaterThanOrEqual(bytes.byteLength);
        count++;
      }
    }
    expect(count).toBeGreaterThan(1000);
  });

  it('bit flips', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (which, flips) => {
          const bytes = corpus[which % corpus.length]!.slice();
          for (const [position, bit] of flips) bytes[position % bytes.byteLength]! ^= 1 << bit;
          await outcome(bytes);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('hostile 32- and 64-bit values written over fields', async () => {
    const hostile = fc.oneof(
      fc.constantFrom(
        0n,
        1n,
        2n ** 31n - 1n,
        2n ** 31n,
        2n ** 32n - 1n,
        2n ** 53n,
        2n ** 63n,
        2n ** 64n - 1n,
      ),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.nat(),
        hostile,
        fc.boolean(),
        async (which, position, value, wide) => {
          const bytes = corpus[which % corpus.length]!.slice();
          const view = new DataView(bytes.buffer);
          const at = position % Math.max(1, bytes.byteLength - 8);
          if (wide) view.setBigUint64(at, value, true);
          else view.setUint32(at, Number(value & 0xffffffffn), true);
          await outcome(bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random opcodes after a pickle protocol header, alone and inside an archive', async () => {
    const opcodes = fc.uint8Array({ maxLength: 300 });
    await fc.assert(
      fc.asyncProperty(opcodes, fc.boolean(), async (tail, zipped) => {
        const pickle = Uint8Array.from([0x80, 0x02, ...tail]);
        await outcome(zipped ? torchZip(pickle, { 0: new Uint8Array(64) }) : pickle);
      }),
      { numRuns: 2000 },
    );
  });
});
