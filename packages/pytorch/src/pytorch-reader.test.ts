/**
 * Files written by real PyTorch (`torch.save` through a Python with torch), in both
 * serializations and three dtypes, with views, shared storages and nested state dicts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParseError } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPytorchCheckpoint } from './pytorch-checkpoint';
import { openPytorch } from './pytorch-reader';
import { runTorchScript, torchSave } from './testing/torch-python';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-pytorch-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Values exactly representable in F32, F16 and BF16, so every dtype reads back exactly. */
function tensors(): Map<string, { shape: number[]; data: Float32Array }> {
  const make = (shape: number[], seed: number) => {
    const count = shape.reduce((product, dim) => product * dim, 1);
    return {
      shape,
      data: Float32Array.from(
        { length: count },
        (_, index) => (((index * 7 + seed) % 33) - 16) / 8,
      ),
    };
  };
  return new Map([
    ['model.embed_tokens.weight', make([6, 4], 1)],
    ['model.layers.0.self_attn.q_proj.weight', make([4, 4], 2)],
    ['model.layers.0.input_layernorm.weight', make([4], 3)],
    ['model.norm.weight', make([4], 4)],
    ['lm_head.weight', make([6, 4], 5)],
  ]);
}

describe('checkpoints written by torch.save', () => {
  for (const legacy of [false, true]) {
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      it(`${legacy ? 'legacy' : 'zip'} format, ${dtype}`, async () => {
        const expected = tensors();
        const path = join(dir, `model-${legacy ? 'legacy' : 'zip'}-${dtype}.bin`);
        await torchSave(expected, path, { legacy, dtype, nonContiguous: dtype === 'F16' });
        const file = await openPytorch(path);
        try {
          expect(file.format).toBe(legacy ? 'legacy' : 'zip');
          expect(file.names).toEqual([...expected.keys()]);
          for (const [name, tensor] of expected) {
            expect(file.dtype(name)).toBe(dtype);
            expect(file.shape(name)).toEqual(tensor.shape);
            expect(Array.from(await file.readFloat32(name))).toEqual(Array.from(tensor.data));
          }
          if (dtype === 'F16') {
            // Stored transposed-and-back: column-major strides, read back row-major.
            expect(file.tensor('lm_head.weight').stride).toEqual([1, 6]);
          }
        } finally {
          await file.close();
        }
      });
    }
  }

  it('views, slices, shared storages, parameters, scalars, ints and nested state dicts', async () => {
    const script = `
import json, sys, torch
args = json.load(sys.stdin)
base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 4
linear = torch.nn.Linear(3, 2)
with torch.no_grad():
    linear.weight.copy_(torch.arange(6, dtype=torch.float32).reshape(2, 3))
    linear.bias.copy_(torch.tensor([0.5, -0.5]))
sd = {
    'base': base, 'transposed': base.t(), 'slice': base[1:3, 2:5], 'row': base[2],
    'strided': base[:, ::2], 'scalar': torch.tensor(3.5), 'empty': torch.zeros(0, 3),
    'param': torch.nn.Parameter(torch.ones(2, 2) * 2), 'ints': torch.arange(5),
    'half_view': base.half()[1:, 3:], 'mask': torch.tensor([True, False, True]),
    'linear': linear.state_dict(), 'listed': [base[0], base[3]],
}
expected = {}
def add(name, t):
    expected[name] = {'shape': list(t.shape), 'values': t.detach().float().flatten().tolist()}
for k, v in sd.items():
    if isinstance(v, dict):
        for k2, v2 in v.items(): add(k + '.' + k2, v2)
    elif isinstance(v, list):
        for i, v2 in enumerate(v): add(k + '.' + str(i), v2)
    else: add(k, v)
torch.save(sd, args['zip'])
torch.save(sd, args['legacy'], _use_new_zipfile_serialization=False)
print(json.dumps(expected))
`;
    const paths = { zip: join(dir, 'views.pt'), legacy: join(dir, 'views-legacy.pth') };
    const expected = JSON.parse(await runTorchScript(script, paths)) as Record<
      string,
      { shape: number[]; values: number[] }
    >;
    for (const path of Object.values(paths)) {
      const file = await openPytorch(path);
      try {
        expect([...file.names].sort()).toEqual(Object.keys(expected).sort());
        for (const [name, tensor] of Object.entries(expected)) {
          expect(file.shape(name), name).toEqual(tensor.shape);
          expect(Array.from(await file.readFloat32(name)), name).toEqual(tensor.values);
        }
        // One storage behind the base tensor and its views.
        expect(file.tensor('transposed').storageKey).toBe(file.tensor('base').storageKey);
        expect(file.tensor('slice').storageOffset).toBe(8);
        expect(file.dtype('ints')).toBe('I64');
        expect(file.dtype('mask')).toBe('BOOL');
      } finally {
        await file.close();
      }
    }
  });

  for (const legacy of [false, true]) {
    it(`sharded with pytorch_model.bin.index.json (${legacy ? 'legacy' : 'zip'})`, async () => {
      const expected = tensors();
      const output = join(dir, `sharded-${legacy}`);
      await torchSave(expected, output, { shards: 3, legacy, dtype: 'BF16' });
      const checkpoint = await openPytorchCheckpoint(output);
      try {
        expect(checkpoint.files).toHaveLength(3);
        expect(new Set(checkpoint.names)).toEqual(new Set(expected.keys()));
        expect(checkpoint.shardOf('model.norm.weight')).toMatch(
          /^pytorch_model-0000\d-of-00003\.bin$/,
        );
        for (const [name, tensor] of expected)
          expect(Array.from(await checkpoint.readFloat32(name))).toEqual(Array.from(tensor.data));
      } finally {
        await checkpoint.close();
      }
    });
  }

  it('a directory with pytorch_model.bin, and bytes in memory, open the same', async () => {
    const expected = tensors();
    const modelDir = join(dir, 'hf-dir');
    await torchSave(expected, join(modelDir, 'pytorch_model.bin'), {});
    const fromDir = await openPytorchCheckpoint(modelDir);
    const fromBytes = await openPytorch(await readFile(join(modelDir, 'pytorch_model.bin')));
    try {
      for (const name of expected.keys()) {
        expect(await fromBytes.readFloat32(name)).toEqual(await fromDir.readFloat32(name));
      }
    } finally {
      await fromDir.close();
      await fromBytes.close();
    }
  });

  it('an index that names a tensor its shard lacks is refused', async () => {
    const output = join(dir, 'bad-index');
    await torchSave(tensors(), output, { shards: 2 });
    const { writeFile } = await import('node:fs/promises');
    const index = JSON.parse(await readFile(join(output, 'pytorch_model.bin.index.json'), 'utf8'));
    index.weight_map['model.norm.weight'] = 'pytorch_model-00001-of-00002.bin';
    index.weight_map['lm_head.weight'] = 'pytorch_model-00001-of-00002.bin';
    await writeFile(join(output, 'pytorch_model.bin.index.json'), JSON.stringify(index));
    const error = await openPytorchCheckpoint(output).catch((caught) => caught);
    expect(ParseError.isInstance(error)).toBe(true);
    expect(error.code).toBe('pytorch-invalid-index');
  });
});
