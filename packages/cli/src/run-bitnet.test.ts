/**
 * A BitNet b1.58 GGUF through the built binary: `llmr convert --dtype tq1_0|tq2_0` writes it
 * from a Hugging Face directory and `llmr run` on llama.cpp gives the greedy tokens of the
 * float64 reference that applies llama.cpp's activation quantization (Q8_K blocks) to the
 * weights as stored (see @llmr/convert's BitNet check for why that reference).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bitnetProjection,
  createTinyBitnet,
  referenceGreedy,
  type TinyModel,
  type Weights,
} from '@llmr/fixtures';
import { openGguf } from '@llmr/gguf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuiltCli, builtCli } from './__fixtures__/run-built-cli';

let dir: string;
let fixture: TinyModel;

const llmr = builtCli(() => join(dir, 'home'));

beforeAll(async () => {
  assertBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'llmr-cli-bitnet-'));
  fixture = await createTinyBitnet({ dir: join(dir, 'bitnet-hf'), seed: 1, contextLength: 256 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('llmr run on a BitNet GGUF', () => {
  it.each(['tq1_0', 'tq2_0'] as const)(
    '%s: llmr convert, then llmr run gives the reference greedy tokens',
    async (dtype) => {
      const output = join(dir, `bitnet-${dtype}.gguf`);
      const converted = await llmr(
        'convert',
        fixture.dir,
        '--to',
        'gguf',
        '--dtype',
        dtype,
        '-o',
        output,
      );
      expect(converted.code, converted.stderr).toBe(0);
      // The reference runs on the weights as stored: F16 embeddings, ternary projections.
      const file = await openGguf(output);
      const embeddings = fixture.weights.get('model.embed_tokens.weight')!;
      const stored: Weights = new Map(fixture.weights).set('model.embed_tokens.weight', {
        shape: embeddings.shape,
        data: await file.readTensorFloat32('token_embd.weight'),
      });
      await file.close();
      const prompt = 'The router sent';
      const expected = referenceGreedy(
        fixture.config,
        stored,
        [fixture.config.bosTokenId, ...fixture.encode(prompt)],
        8,
        bitnetProjection(stored, 'q8_K-blocks'),
      );
      const run = await llmr(
        'run',
        output,
        '--prompt',
        prompt,
        '--raw',
        '-n',
        '8',
        '-t',
        '0',
        '--json',
      );
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).tokens).toEqual(expected);
    },
    120_000,
  );
});
