/**
 * Each Llama-family architecture the converters accept, with its quirks, checked by the
 * real runtimes: llama.cpp on the F32 GGUF and ONNX Runtime on the f32 ONNX export against
 * the float64 reference pass (logits and greedy tokens). Each case also proves its quirk
 * matters: the reference without it gives other logits, so a converter that dropped it
 * would fail here. Options neither converter carries are refused, naming what is missing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeWithBpe,
  type LlamaConfig,
  referenceForward,
  referenceGreedy,
  type TinyModelOptions,
} from '@llmr/fixtures';
import { openGguf } from '@llmr/gguf';
import type { Llama } from 'node-llama-cpp';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareNextToken,
  ggmlCpuGelu,
  greedy,
  loadLlama,
  withModel,
} from './__fixtures__/llama-cpp-run';
import { greedyWithCache, step } from './__fixtures__/onnx-run';
import { tinyHf } from './__fixtures__/tiny-hf';
import { writeHfModelAsGguf } from './convert-hf-to-gguf';
import { hfModelToOnnxBytes } from './onnx/convert-hf-to-onnx';

interface ArchitectureCase {
  name: string;
  options: Omit<TinyModelOptions, 'dir' | 'kind' | 'seed'>;
  /** `general.architecture` llama.cpp should be told. */
  gguf: string;
  /** The config without the case's quirk: its reference must differ. */
  without: Partial<LlamaConfig>;
  /** Most tokens llama.cpp may see and still agree (Mistral: the window). */
  ggufTokens?: number;
  /**
   * Gemma: llama.cpp's CPU GELU reads an F16 table, so its logits are held to 1e-4 against
   * the reference computed with that same GELU (`ggmlCpuGelu`), and their distance to the
   * exact reference is measured and bounded separately.
   */
  ggmlGelu?: boolean;
}

// Odd sizes on purpose: head counts that are not powers of two, head_dim != hidden/heads,
// MLP widths that are not multiples of the hidden size.
const cases: ArchitectureCase[] = [
  {
    name: 'Llama 3.1/3.2 (rope_scaling llama3)',
    options: {
      hidden: 48,
      heads: 3,
      kvHeads: 1,
      intermediate: 100,
      // A short original context so every branch of the llama3 formula (kept, blended,
      // divided) applies to some of the 8 frequencies.
      ropeScaling: {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 64,
      },
    },
    gguf: 'llama',
    without: { ropeScaling: undefined },
  },
  {
    name: 'Llama (rope_scaling linear)',
    options: {
      hidden: 40,
      heads: 4,
      kvHeads: 2,
      intermediate: 88,
      ropeScaling: { type: 'linear', factor: 4 },
    },
    gguf: 'llama',
    without: { ropeScaling: undefined },
  },
  {
    name: 'Llama (rope_scaling yarn)',
    options: {
      hidden: 48,
      heads: 3,
      kvHeads: 1,
      intermediate: 100,
      // max_position_embeddings = factor x original, as transformers' YaRN reads it.
      contextLength: 256,
      ropeScaling: { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 64 },
    },
    gguf: 'llama',
    without: { ropeScaling: undefined },
  },
  {
    name: 'Llama with attention_bias (q/k biases permuted for llama.cpp)',
    options: { hidden: 40, heads: 4, kvHeads: 2, intermediate: 72, attentionBias: true },
    gguf: 'llama',
    without: { attentionBias: false },
  },
  {
    name: 'Qwen2/2.5 (q/k/v biases, tied embeddings)',
    options: { architecture: 'qwen2', hidden: 56, heads: 7, kvHeads: 1, intermediate: 120 },
    gguf: 'qwen2',
    without: { attentionBias: false },
  },
  {
    name: 'Mistral (sliding window)',
    options: {
      architecture: 'mistral',
      hidden: 64,
      heads: 4,
      kvHeads: 2,
      intermediate: 72,
      slidingWindow: 6,
    },
    gguf: 'llama',
    without: { slidingWindow: undefined },
    ggufTokens: 6,
  },
  {
    name: 'Qwen3 (q/k RMSNorm, head_dim != hidden/heads)',
    options: {
      architecture: 'qwen3',
      hidden: 40,
      heads: 4,
      kvHeads: 2,
      headDim: 18,
      intermediate: 84,
    },
    gguf: 'qwen3',
    without: { qkNorm: false },
  },
  {
    name: 'Phi-3 (fused qkv and gate_up, longrope)',
    options: {
      architecture: 'phi3',
      hidden: 48,
      heads: 4,
      kvHeads: 2,
      intermediate: 76,
      // 1024 positions over an original 256: attention factor sqrt(1 + ln 4 / ln 256).
      // llama.cpp runs a context of 256 here, so both use the short factors.
      contextLength: 1024,
      ropeScaling: {
        type: 'longrope',
        shortFactor: [1, 1.3, 1.9, 2.6, 3.7, 5.2],
        longFactor: [1, 2, 4.5, 9, 18, 30],
        originalMaxPositionEmbeddings: 256,
      },
    },
    gguf: 'phi3',
    without: { ropeScaling: undefined },
  },
  {
    name: 'Gemma 2 (norm +1, GELU-tanh, sqrt(hidden) embeddings, soft-capping, local/global)',
    options: {
      architecture: 'gemma2',
      hidden: 40,
      heads: 2,
      kvHeads: 1,
      headDim: 24,
      intermediate: 92,
      layers: 3,
      // Caps low enough to bend these scores and logits; a window the prompt passes.
      attnLogitSoftcap: 2,
      finalLogitSoftcap: 4,
      slidingWindow: 5,
    },
    gguf: 'gemma2',
    without: { finalLogitSoftcap: undefined, attnLogitSoftcap: undefined },
    ggmlGelu: true,
  },
  {
    name: 'Gemma 3 (q/k norm +1, local RoPE base, global linear scaling, 2 local : 1 global)',
    options: {
      architecture: 'gemma3',
      hidden: 48,
      heads: 3,
      kvHeads: 1,
      headDim: 20,
      intermediate: 70,
      layers: 3,
      slidingWindow: 5,
      slidingWindowPattern: 3,
      ropeTheta: 1_000_000,
      ropeLocalTheta: 10_000,
      ropeScaling: { type: 'linear', factor: 8 },
      finalLogitSoftcap: 6,
    },
    gguf: 'gemma3',
    without: { ropeLocalTheta: undefined, slidingWindow: undefined },
    ggmlGelu: true,
  },
];

let dir: string;
let llama: Llama;
const measured: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-architectures-'));
  llama = await loadLlama();
});
afterAll(async () => {
  // The numbers the converters are held to, one line per check.
  for (const row of measured) console.log(JSON.stringify(row));
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** ONNX Runtime's logits for `tokens` in one pass against the reference: worst and relative error. */
async function onnxLogitsError(
  session: ort.InferenceSession,
  fixture: ReturnType<typeof tinyHf>,
  tokens: number[],
  reference: Float64Array[],
) {
  const result = await step(session, fixture, tokens, undefined, 0);
  const data = result.logits!.data as Float32Array;
  const vocab = fixture.config.vocabSize;
  const rows = reference.map((_, position) =>
    data.subarray(position * vocab, (position + 1) * vocab),
  );
  const worst = maxDifference(reference, rows);
  let scale = 0;
  for (const row of reference) for (const value of row) scale = Math.max(scale, Math.abs(value));
  return { worst, relative: worst / scale };
}

function maxDifference(a: Float64Array[], b: ArrayLike<number>[]): number {
  let worst = 0;
  a.forEach((row, position) => {
    row.forEach((value, token) => {
      worst = Math.max(worst, Math.abs(value - b[position]![token]!));
    });
  });
  return worst;
}

const LONG_TEXT = 'Once upon a time there was a little router that sent every token home';

describe.each(cases)('$name', ({ name, options, gguf, without, ggufTokens, ggmlGelu }) => {
  const fixture = tinyHf('random', 3, options);
  const bos = fixture.bpe.specialTokens['<|begin_of_text|>'];
  const long = [bos, ...encodeWithBpe(fixture.bpe, LONG_TEXT)];

  it('has the quirk: the reference without it gives other logits', () => {
    const withQuirk = referenceForward(fixture.config, fixture.weights, long);
    const withoutQuirk = referenceForward({ ...fixture.config, ...without }, fixture.weights, long);
    expect(maxDifference(withQuirk, withoutQuirk)).toBeGreaterThan(1e-2);
  });

  it('llama.cpp on the converted F32 GGUF: logits within 1e-4 and the same greedy tokens', async () => {
    const output = join(dir, `${gguf}-${cases.findIndex((entry) => entry.name === name)}.gguf`);
    const result = await writeHfModelAsGguf(fixture.hf, { output, dtype: 'f32' });
    expect(result.architecture).toBe(gguf);
    const file = await openGguf(output);
    try {
      expect(file.metadata['general.architecture']).toBe(gguf);
      if (ggufTokens !== undefined) {
        expect(file.metadata[`${gguf}.context_length`]).toBe(ggufTokens);
        expect(result.notes.join(' ')).toContain('sliding_window');
      }
    } finally {
      await file.close();
    }
    const steps = 4;
    const limit = ggufTokens ?? long.length + steps;
    const prompt = long.slice(0, Math.min(long.length, limit - steps));
    const runtimeGelu = ggmlGelu ? { gelu: ggmlCpuGelu } : {};
    const reference = referenceForward(fixture.config, fixture.weights, prompt, runtimeGelu).at(
      -1,
    )!;
    const expected = referenceGreedy(fixture.config, fixture.weights, prompt, steps, runtimeGelu);
    if (ggmlGelu)
      expect(expected).toEqual(referenceGreedy(fixture.config, fixture.weights, prompt, steps));
    await withModel(llama, output, async (sequence) => {
      const { worst, relative, compared } = await compareNextToken(sequence, prompt, reference);
      measured.push({ architecture: name, runtime: 'llama.cpp', worst, relative, compared });
      expect(compared).toBeGreaterThan(3);
      expect(worst).toBeLessThan(1e-4);
      if (ggmlGelu) {
        // The same logits against the exact GELU: the F16 table's whole effect.
        await sequence.clearHistory();
        const exact = referenceForward(fixture.config, fixture.weights, prompt).at(-1)!;
        const vsExact = await compareNextToken(sequence, prompt, exact);
        measured.push({ architecture: name, runtime: 'llama.cpp vs exact GELU', ...vsExact });
        expect(vsExact.worst).toBeLessThan(1e-2);
      }
      await sequence.clearHistory();
      expect(await greedy(sequence, prompt, steps)).toEqual(expected);
    });
  });

  it('ONNX Runtime on the f32 export: logits at every position within 1e-4, the same greedy tokens', async () => {
    const session = await ort.InferenceSession.create(await hfModelToOnnxBytes(fixture.hf));
    try {
      const reference = referenceForward(fixture.config, fixture.weights, long);
      const { worst, relative } = await onnxLogitsError(session, fixture, long, reference);
      measured.push({ architecture: name, runtime: 'onnxruntime', worst, relative });
      expect(worst).toBeLessThan(1e-4);
      const prompt = long.slice(0, 8);
      expect(await greedyWithCache(session, fixture, prompt, 8)).toEqual(
        referenceGreedy(fixture.config, fixture.weights, prompt, 8),
      );
    } finally {
      await session.release();
    }
  });
});

describe('what the converters refuse, naming what is missing', () => {
  const base = () => tinyHf('random', 3, { hidden: 32, heads: 2, kvHeads: 1, intermediate: 48 });
  const convertBoth = async (config: Record<string, unknown>) => {
    const { hf } = base();
    const changed = { ...hf, config: { ...hf.config, ...config } };
    const errors: unknown[] = [];
    await writeHfModelAsGguf(changed, { output: join(dir, 'refused.gguf'), dtype: 'f32' }).catch(
      (error: unknown) => errors.push(error),
    );
    await hfModelToOnnxBytes(changed).catch((error: unknown) => errors.push(error));
    expect(errors).toHaveLength(2);
    return errors as { code: string; message: string }[];
  };

  it.each([
    ['dynamic', 'dynamic NTK'],
    ['made-up', 'unknown'],
  ])('rope_scaling type %s', async (type, why) => {
    for (const error of await convertBoth({ rope_scaling: { rope_type: type, factor: 2 } })) {
      expect(error.code).toBe('convert-unsupported-rope-scaling');
      expect(error.message).toContain(`rope_scaling type "${type}"`);
      expect(error.message).toContain(why);
      expect(error.message).toContain('linear, llama3, yarn, longrope');
    }
  });

  it.each(['Gemma3nForCausalLM', 'Phi4MMForCausalLM', 'GPT2LMHeadModel'])(
    'the architecture %s',
    async (architecture) => {
      for (const error of await convertBoth({ architectures: [architecture] })) {
        expect(error.code).toBe('convert-unsupported-architecture');
        expect(error.message).toContain(architecture);
        expect(error.message).toContain('Qwen3ForCausalLM');
      }
    },
  );

  it.each([
    [{ use_sliding_window: true }, 'use_sliding_window'],
    [{ mlp_bias: true }, 'mlp_bias'],
    [{ hidden_act: 'gelu_pytorch_tanh' }, 'gelu_pytorch_tanh'],
    [{ partial_rotary_factor: 0.75 }, 'partial_rotary_factor'],
    [{ rope_scaling: { type: 'yarn', factor: 4, beta_fast: 16 } }, 'beta_fast 16'],
    [{ rope_scaling: { type: 'yarn', factor: 4, attention_factor: 1.2 } }, 'attention_factor'],
    [
      {
        rope_scaling: {
          type: 'longrope',
          short_factor: [1, 1, 1, 1, 1, 1, 1, 1],
          long_factor: [2, 2, 2, 2, 2, 2, 2, 2],
          original_max_position_embeddings: 64,
        },
      },
      'Phi3ForCausalLM only',
    ],
  ])('the option %j', async (option, named) => {
    for (const error of await convertBoth(option)) {
      expect(error.code).toMatch(/^convert-unsupported-(config|rope-scaling)$/);
      expect(error.message).toContain(named);
    }
  });
});

describe('Phi-3 LongRoPE past the original context (300 tokens over 256)', () => {
  const phi = cases.find((entry) => entry.gguf === 'phi3')!;
  const fixture = tinyHf('random', 3, phi.options);
  const tokens = encodeWithBpe(fixture.bpe, `${LONG_TEXT}. `.repeat(30)).slice(0, 300);
  const reference = referenceForward(fixture.config, fixture.weights, tokens);

  it('uses the long factors: the short ones give other logits', () => {
    expect(tokens.length).toBe(300);
    const scaling = fixture.config.ropeScaling;
    if (scaling?.type !== 'longrope') throw new Error('the Phi-3 case has LongRoPE');
    // As if the original context were longer: the short factors throughout.
    const shortOnly = referenceForward(
      { ...fixture.config, ropeScaling: { ...scaling, originalMaxPositionEmbeddings: 512 } },
      fixture.weights,
      tokens,
    );
    expect(maxDifference(reference, shortOnly)).toBeGreaterThan(1e-2);
  });

  it('llama.cpp with a 512-token context (past the original 256) agrees', async () => {
    const output = join(dir, 'phi3-long.gguf');
    await writeHfModelAsGguf(fixture.hf, { output, dtype: 'f32' });
    await withModel(
      llama,
      output,
      async (sequence) => {
        const { worst, relative, compared } = await compareNextToken(
          sequence,
          tokens,
          reference.at(-1)!,
        );
        measured.push({
          architecture: 'Phi-3 longrope, 300 tokens',
          runtime: 'llama.cpp',
          worst,
          relative,
          compared,
        });
        expect(compared).toBeGreaterThan(3);
        expect(worst).toBeLessThan(1e-4);
      },
      512,
    );
  });

  it('the ONNX export switches to the long factors as transformers does', async () => {
    const session = await ort.InferenceSession.create(await hfModelToOnnxBytes(fixture.hf));
    try {
      const { worst, relative } = await onnxLogitsError(session, fixture, tokens, reference);
      measured.push({
        architecture: 'Phi-3 longrope, 300 tokens',
        runtime: 'onnxruntime',
        worst,
        relative,
      });
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
  });
});

describe('Gemma options llama.cpp computes its own way', () => {
  const gemma2 = cases.find((entry) => entry.gguf === 'gemma2')!;

  it('query_pre_attn_scalar other than head_dim: refused for GGUF by name, followed by ONNX', async () => {
    const fixture = tinyHf('random', 3, { ...gemma2.options, queryPreAttnScalar: 40 });
    const error = await writeHfModelAsGguf(fixture.hf, {
      output: join(dir, 'gemma-scalar.gguf'),
      dtype: 'f32',
    }).catch((caught: unknown) => caught as { code: string; message: string });
    expect(error).toMatchObject({ code: 'convert-unsupported-config' });
    expect((error as { message: string }).message).toContain('query_pre_attn_scalar 40');

    const tokens = [
      fixture.bpe.specialTokens['<|begin_of_text|>'],
      ...encodeWithBpe(fixture.bpe, LONG_TEXT),
    ];
    const reference = referenceForward(fixture.config, fixture.weights, tokens);
    const headDimScaled = referenceForward(
      { ...fixture.config, queryPreAttnScalar: undefined },
      fixture.weights,
      tokens,
    );
    expect(maxDifference(reference, headDimScaled)).toBeGreaterThan(1e-2);
    const session = await ort.InferenceSession.create(await hfModelToOnnxBytes(fixture.hf));
    try {
      const { worst } = await onnxLogitsError(session, fixture, tokens, reference);
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
  });

  it.each([
    [{ attn_logit_softcapping: null }, 'attn_logit_softcapping'],
    [{ sliding_window: null }, 'sliding_window'],
    [{ layer_types: ['full_attention', 'sliding_attention', 'full_attention'] }, 'layer_types'],
    [{ tie_word_embeddings: false }, 'tie_word_embeddings'],
  ])('Gemma 2 with %j is refused for GGUF', async (option, named) => {
    const { hf } = tinyHf('random', 3, gemma2.options);
    const error = await writeHfModelAsGguf(
      { ...hf, config: { ...hf.config, ...option } },
      { output: join(dir, 'gemma-refused.gguf'), dtype: 'f32' },
    ).catch((caught: unknown) => caught as { code: string; message: string });
    expect(error).toMatchObject({ code: 'convert-unsupported-config' });
    expect((error as { message: string }).message).toContain(named);
  });
});
