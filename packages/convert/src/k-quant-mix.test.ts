import { GgmlType } from '@llmr/gguf';
import { describe, expect, it } from 'vitest';
import { type KQuantDtype, kQuantTensorType, useMoreBits } from './k-quant-mix';

function typeOf(dtype: KQuantDtype, name: string, columns = 4096, tiedEmbeddings = false) {
  return kQuantTensorType(dtype, { name, columns, layerCount: 32, tiedEmbeddings }).type;
}

describe("llama-quantize's K-quant mixes", () => {
  it('useMoreBits picks the layers llama.cpp gives Q6_K attn_v in a 32-layer Q4_K_M', () => {
    // As llama-quantize reports for a 32-layer Llama: layers 0-3, 28-31 and every third from 6.
    const layers = Array.from({ length: 32 }, (_, layer) => layer).filter((layer) =>
      useMoreBits(layer, 32),
    );
    expect(layers).toEqual([0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
    expect([0, 1, 2, 3].filter((layer) => useMoreBits(layer, 4))).toEqual([2, 3]);
  });

  it('q4_k_m / q5_k_m: Q6_K for the output, attn_v and ffn_down of the chosen layers', () => {
    for (const [dtype, base] of [
      ['q4_k_m', GgmlType.Q4_K],
      ['q5_k_m', GgmlType.Q5_K],
    ] as const) {
      expect(typeOf(dtype, 'output.weight')).toBe(GgmlType.Q6_K);
      expect(typeOf(dtype, 'token_embd.weight')).toBe(base);
      expect(typeOf(dtype, 'blk.6.attn_v.weight')).toBe(GgmlType.Q6_K);
      expect(typeOf(dtype, 'blk.5.attn_v.weight')).toBe(base);
      expect(typeOf(dtype, 'blk.31.ffn_down.weight')).toBe(GgmlType.Q6_K);
      expect(typeOf(dtype, 'blk.7.ffn_down.weight')).toBe(base);
      expect(typeOf(dtype, 'blk.0.attn_q.weight')).toBe(base);
      expect(typeOf(dtype, 'blk.0.ffn_up.weight')).toBe(base);
      expect(typeOf(dtype, 'blk.0.ffn_gate.weight')).toBe(base);
      // Phi-3's fused qkv counts as attn_v.
      expect(typeOf(dtype, 'blk.0.attn_qkv.weight')).toBe(GgmlType.Q6_K);
    }
  });

  it('a tied token embedding is quantized as the output', () => {
    expect(typeOf('q4_k_m', 'token_embd.weight', 4096, true)).toBe(GgmlType.Q6_K);
    expect(typeOf('q4_k_m', 'token_embd.weight', 96, true)).toBe(GgmlType.Q8_0);
    expect(typeOf('q4_k', 'token_embd.weight', 4096, true)).toBe(GgmlType.Q4_K);
  });

  it('q2_k / q3_k / q4_k / q5_k / q6_k put every matrix in one type', () => {
    for (const name of ['output.weight', 'blk.0.attn_v.weight', 'blk.0.ffn_down.weight']) {
      expect(typeOf('q2_k', name)).toBe(GgmlType.Q2_K);
      expect(typeOf('q3_k', name)).toBe(GgmlType.Q3_K);
      expect(typeOf('q4_k', name)).toBe(GgmlType.Q4_K);
      expect(typeOf('q5_k', name)).toBe(GgmlType.Q5_K);
      expect(typeOf('q6_k', name)).toBe(GgmlType.Q6_K);
    }
  });

  it('rows that are not a multiple of 256 fall back as llama-quantize does, and say so', () => {
    const fallback = (dtype: KQuantDtype, name: string, columns: number) =>
      kQuantTensorType(dtype, { name, columns, layerCount: 32, tiedEmbeddings: false });
    expect(fallback('q2_k', 'blk.1.attn_q.weight', 96).type).toBe(GgmlType.Q4_0);
    expect(fallback('q3_k', 'blk.1.attn_q.weight', 96).type).toBe(GgmlType.Q4_0);
    expect(fallback('q4_k', 'blk.1.attn_q.weight', 96).type).toBe(GgmlType.Q5_0);
    expect(fallback('q5_k', 'blk.1.attn_q.weight', 96).type).toBe(GgmlType.Q5_1);
    expect(fallback('q6_k', 'blk.1.attn_q.weight', 96).type).toBe(GgmlType.Q8_0);
    expect(fallback('q4_k_m', 'blk.0.attn_v.weight', 96).type).toBe(GgmlType.Q8_0);
    expect(fallback('q4_k_m', 'blk.1.attn_q.weight', 100).type).toBe(GgmlType.F16);
    expect(fallback('q4_k_m', 'output.weight', 96)).toEqual({ type: GgmlType.Q8_0 });
    expect(fallback('q4_k_m', 'output.weight', 100).type).toBe(GgmlType.F16);
    expect(fallback('q4_k', 'blk.1.attn_q.weight', 96).fallback).toMatch(
      /row length 96 is not a multiple of 256 \(Q4_K\); Q5_0/,
    );
    expect(fallback('q4_k', 'blk.1.attn_q.weight', 512).fallback).toBeUndefined();
  });
});
