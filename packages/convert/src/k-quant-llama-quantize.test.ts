/**
 * The K-quant conversions equal llama-quantize's files tensor for tensor. The pins are SHA-256s
 * over the tensors (sorted by name: name, type, dims, then the bytes) of what llama-quantize
 * wrote when given this converter's F32 GGUF of the same fixture: its quantization core
 * (`llama_model_quantize`, no importance matrix, one thread) from the llama.cpp release bundled
 * with node-llama-cpp 3.22.1, built for x86-64 without native flags, with ftype Q4_K_M, Q5_K_M
 * and Q6_K. The same hash over the converter's own K-quant file must match: the same type for
 * every tensor (mix, fallbacks, tied embeddings) and the same blocks.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ggmlTypeName, openGguf } from '@llmr/gguf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyHf } from './__fixtures__/tiny-hf';
import { writeHfModelAsGguf } from './convert-hf-to-gguf';
import type { KQuantDtype } from './k-quant-mix';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-kquant-pin-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tensorHash(path: string): Promise<string> {
  const file = await openGguf(path);
  try {
    const hash = createHash('sha256');
    for (const tensor of [...file.tensors].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      hash.update(`${tensor.name} ${ggmlTypeName(tensor.type)} ${tensor.dims.join('x')}\n`);
      hash.update(await file.readTensorBytes(tensor.name));
    }
    return hash.digest('hex');
  } finally {
    await file.close();
  }
}

const fixtures = {
  // hidden 256, 8 layers: the mixes raise some layers only.
  layered: () => tinyHf('random', 5, { hidden: 256, intermediate: 512, layers: 8, heads: 4 }),
  // hidden 64: every matrix falls back (Q5_0 / Q5_1, Q8_0 where Q6_K was asked).
  narrow: () => tinyHf('random', 2),
  // Qwen2: tied embeddings (quantized as the output), q/k/v biases.
  tied: () =>
    tinyHf('random', 3, {
      hidden: 256,
      intermediate: 768,
      layers: 3,
      heads: 4,
      architecture: 'qwen2',
    }),
};

const PINS: [keyof typeof fixtures, KQuantDtype, string][] = [
  ['layered', 'q4_k_m', 'cd09b63a68c782d024156ce5ad17b8ed3e7e4f4cc7101a084bf5612a11755e32'],
  ['layered', 'q5_k_m', '8951aaa93a445becd2180089ea3b741121062657cba481a3d0026526cee2d90e'],
  ['layered', 'q6_k', '188d0a946c4de02a6f9d392a34b992ff61a541866aade86496c067c6dcae7872'],
  ['narrow', 'q4_k_m', '51290161a4516f69582e6a3582a91c5d3c18168d6506a0ea3731dcd83f109db7'],
  ['tied', 'q5_k_m', '695c0116c33faa16359849148e4f70a51c49f46118f314de83d936a9786dab79'],
];

describe("K-quant conversions equal llama-quantize's output", () => {
  it.each(PINS)('%s fixture, %s', async (fixture, dtype, pin) => {
    const output = join(dir, `${fixture}-${dtype}.gguf`);
    await writeHfModelAsGguf(fixtures[fixture]().hf, { output, dtype, probePreTokenizer: false });
    expect(await tensorHash(output)).toBe(pin);
  });
});
