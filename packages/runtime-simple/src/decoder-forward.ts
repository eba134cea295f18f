/**
 * The Llama-family forward pass on the kernels: a batch of rows, each one token of one
 * sequence at its position, goes through every layer together, so the weights are
 * streamed once per batch whether the rows are a prompt being prefilled or the next
 * tokens of several concurrent sequences. Each sequence's K/V cache lives in kernel
 * memory as [layer][kv head][position][head dim], so one head's keys are one matrix.
 */
import { LlmrError } from '@llmr/core';
import { dequantize, GgmlType } from '@llmr/gguf';
import { type Kernels, rowBytes } from '@llmr/kernels-wasm';
import type { DecoderConfig } from './decoder-config';
import type { DecoderWeights, Matrix, Vector } from './decoder-weights';

export interface SequenceCache {
  /** Byte offset of the K half; V follows. */
  pointer: number;
  /** Positions it can hold. */
  capacity: number;
  /** Positions filled. */
  length: number;
}

export interface ForwardRow {
  cache: SequenceCache;
  token: number;
  /** Must equal the cache's length for the first row of a sequence in the batch. */
  position: number;
  /** Return this row's logits. */
  logits: boolean;
}

const EMBEDDING_TYPES = {
  f32: GgmlType.F32,
  f16: GgmlType.F16,
  q8_0: GgmlType.Q8_0,
  q4_0: GgmlType.Q4_0,
} as const;

interface Input {
  pointer: number;
  cols: number;
  n: number;
  quantized: boolean;
}

export class DecoderForward {
  private readonly group: number;
  private readonly scale: number;
  private readonly inverseFrequencies: Float64Array;

  constructor(
    private readonly kernels: Kernels,
    private readonly config: DecoderConfig,
    private readonly weights: DecoderWeights,
  ) {
    this.group = config.heads / config.kvHeads;
    this.scale = 1 / Math.sqrt(config.headDim);
    const half = config.headDim / 2;
    this.inverseFrequencies = Float64Array.from(
      { length: half },
      (_, index) => config.ropeTheta ** (-(2 * index) / config.headDim),
    );
  }

  /** Bytes of K/V cache per position. */
  get cacheBytesPerPosition(): number {
    const { layers, kvHeads, headDim } = this.config;
    return 2 * layers * kvHeads * headDim * 4;
  }

  createCache(capacity: number): SequenceCache {
    return {
      pointer: this.kernels.memory.alloc(capacity * this.cacheBytesPerPosition),
      capacity,
      length: 0,
    };
  }

  freeCache(cache: SequenceCache): void {
    this.kernels.memory.free(cache.pointer);
    cache.capacity = 0;
  }

  /** Runs the rows through the model; returns the logits of rows that asked, in order. */
  forward(rows: readonly ForwardRow[]): Float32Array[] {
    const { kernels, config, weights } = this;
    const memory = kernels.memory;
    const n = rows.length;
    const { hiddenSize: hidden, heads, kvHeads, headDim: dim, intermediateSize: ffn } = config;
    for (const row of rows) {
      if (row.position >= row.cache.capacity)
        throw new LlmrError({
          code: 'runtime-simple-cache-full',
          message: `Position ${row.position} is beyond the sequence's cache of ${row.cache.capacity} positions.`,
        });
      if (row.token < 0 || row.token >= config.vocabSize)
        throw new LlmrError({
          code: 'runtime-simple-bad-token',
          message: `Token id ${row.token} is outside the vocabulary (${config.vocabSize}).`,
        });
    }
    const logitRows = rows.filter((row) => row.logits).length;
    const maxPositions = Math.max(...rows.map((row) => row.position + 1));
    const widest = Math.max(hidden, ffn, heads * dim);
    // One scratch block per call: every pointer below is an offset into it.
    const sizes = {
      x: n * hidden * 4,
      normed: n * hidden * 4,
      q: n * heads * dim * 4,
      k: n * kvHeads * dim * 4,
      v: n * kvHeads * dim * 4,
      attention: n * heads * dim * 4,
      out: n * hidden * 4,
      gate: n * ffn * 4,
      up: n * ffn * 4,
      scores: maxPositions * 4,
      rope: n * dim * 4,
      quantized: n * widest * 2,
      scales: (n * widest) / 8,
      logits: logitRows * config.vocabSize * 4,
    };
    let total = 0;
    const offsets = {} as Record<keyof typeof sizes, number>;
    for (const [key, size] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
      offsets[key] = total;
      total += Math.ceil(size / 16) * 16;
    }
    const scratch = memory.alloc(total);
    const at = (key: keyof typeof sizes) => scratch + offsets[key];
    try {
      this.embed(rows, at('x'));
      this.ropeTables(rows, at('rope'));
      const input = (pointer: number, cols: number, count = n): Input => ({
        pointer,
        cols,
        n: count,
        quantized: false,
      });
      const linear = (matrix: Matrix, x: Input, y: number) =>
        this.linear(matrix, x, y, at('quantized'), at('scales'));

      for (let layer = 0; layer < config.layers; layer++) {
        const lw = weights.layers[layer]!;
        kernels.rmsNorm(
          at('x'),
          lw.attentionNorm.pointer,
          at('normed'),
          hidden,
          n,
          config.rmsNormEps,
        );
        const normed = input(at('normed'), hidden);
        linear(lw.q, normed, at('q'));
        linear(lw.k, normed, at('k'));
        linear(lw.v, normed, at('v'));
        if (lw.qBias) this.addBias(at('q'), lw.qBias, n);
        if (lw.kBias) this.addBias(at('k'), lw.kBias, n);
        if (lw.vBias) this.addBias(at('v'), lw.vBias, n);
        if (lw.qNorm)
          kernels.rmsNorm(at('q'), lw.qNorm.pointer, at('q'), dim, n * heads, config.rmsNormEps);
        if (lw.kNorm)
          kernels.rmsNorm(at('k'), lw.kNorm.pointer, at('k'), dim, n * kvHeads, config.rmsNormEps);
        for (let row = 0; row < n; row++) {
          const table = at('rope') + row * dim * 4;
          kernels.rope(at('q') + row * heads * dim * 4, table, heads, dim, config.ropeNeox);
          kernels.rope(at('k') + row * kvHeads * dim * 4, table, kvHeads, dim, config.ropeNeox);
        }
        this.storeKeysValues(rows, layer, at('k'), at('v'));
        this.attend(rows, layer, at('q'), at('scores'), at('attention'));
        linear(lw.o, input(at('attention'), heads * dim), at('out'));
        this.addInto(at('x'), at('out'), n * hidden);

        kernels.rmsNorm(at('x'), lw.ffnNorm.pointer, at('normed'), hidden, n, config.rmsNormEps);
        const ffnInput = input(at('normed'), hidden);
        linear(lw.gate, ffnInput, at('gate'));
        linear(lw.up, ffnInput, at('up'));
        kernels.siluMul(at('gate'), at('up'), at('gate'), n * ffn);
        linear(lw.down, input(at('gate'), ffn), at('out'));
        this.addInto(at('x'), at('out'), n * hidden);
      }
      for (const row of rows) row.cache.length = Math.max(row.cache.length, row.position + 1);
      if (logitRows === 0) return [];

      // Only the rows that sample need the final norm and the (large) LM head.
      const x = memory.f32(at('x'), n * hidden);
      const gathered = memory.f32(at('out'), logitRows * hidden);
      let next = 0;
      rows.forEach((row, index) => {
        if (row.logits)
          gathered.set(x.subarray(index * hidden, (index + 1) * hidden), next++ * hidden);
      });
      kernels.rmsNorm(
        at('out'),
        weights.outputNorm.pointer,
        at('normed'),
        hidden,
        logitRows,
        config.rmsNormEps,
      );
      linear(weights.output, input(at('normed'), hidden, logitRows), at('logits'));
      const logits = memory.f32(at('logits'), logitRows * config.vocabSize);
      return Array.from({ length: logitRows }, (_, index) =>
        logits.slice(index * config.vocabSize, (index + 1) * config.vocabSize),
      );
    } finally {
      memory.free(scratch);
    }
  }

  private linear(matrix: Matrix, x: Input, y: number, quantized: number, scales: number): void {
    const { kernels } = this;
    const { rows, cols, pointer } = matrix;
    switch (matrix.dtype) {
      case 'f32':
        kernels.matmulF32(pointer, x.pointer, y, rows, cols, x.n);
        return;
      case 'f16':
        kernels.matmulF16(pointer, x.pointer, y, rows, cols, x.n);
        return;
      default:
        // The q/k/v (and gate/up) products share their input: quantize it once.
        if (!x.quantized) {
          kernels.quantizeQ8_0(x.pointer, quantized, scales, cols, x.n);
          x.quantized = true;
        }
        if (matrix.dtype === 'q8_0')
          kernels.matmulQ8_0(pointer, quantized, scales, y, rows, cols, x.n);
        else kernels.matmulQ4_0(pointer, quantized, scales, y, rows, cols, x.n);
    }
  }

  private embed(rows: readonly ForwardRow[], target: number): void {
    const { embedding } = this.weights;
    const memory = this.kernels.memory;
    const bytesPerRow = rowBytes(embedding.dtype, embedding.cols);
    rows.forEach((row, index) => {
      const bytes = memory.u8(embedding.pointer + row.token * bytesPerRow, bytesPerRow);
      const values =
        embedding.dtype === 'f32'
          ? new Float32Array(bytes.slice().buffer)
          : dequantize(bytes, EMBEDDING_TYPES[embedding.dtype], embedding.cols);
      memory.f32(target + index * embedding.cols * 4, embedding.cols).set(values);
    });
  }

  /** cos then sin of position * theta^(-2i/d), per row (float64 angles, as the reference). */
  private ropeTables(rows: readonly ForwardRow[], target: number): void {
    const dim = this.config.headDim;
    const half = dim / 2;
    const table = this.kernels.memory.f32(target, rows.length * dim);
    rows.forEach((row, index) => {
      for (let pair = 0; pair < half; pair++) {
        const angle = row.position * this.inverseFrequencies[pair]!;
        table[index * dim + pair] = Math.cos(angle);
        table[index * dim + half + pair] = Math.sin(angle);
      }
    });
  }

  private addBias(target: number, bias: Vector, n: number): void {
    const memory = this.kernels.memory;
    const values = memory.f32(target, n * bias.length);
    const added = memory.f32(bias.pointer, bias.length);
    for (let row = 0; row < n; row++)
      for (let index = 0; index < bias.length; index++)
        values[row * bias.length + index]! += added[index]!;
  }

  private addInto(target: number, source: number, length: number): void {
    const memory = this.kernels.memory;
    const into = memory.f32(target, length);
    const from = memory.f32(source, length);
    for (let index = 0; index < length; index++) into[index]! += from[index]!;
  }

  private headOffset(cache: SequenceCache, layer: number, kvHead: number, value: boolean): number {
    const { layers, kvHeads, headDim } = this.config;
    const plane = cache.capacity * headDim * 4;
    return (
      cache.pointer + (value ? layers * kvHeads * plane : 0) + (layer * kvHeads + kvHead) * plane
    );
  }

  private storeKeysValues(rows: readonly ForwardRow[], layer: number, k: number, v: number): void {
    const { kvHeads, headDim: dim } = this.config;
    const memory = this.kernels.memory;
    const keys = memory.f32(k, rows.length * kvHeads * dim);
    const values = memory.f32(v, rows.length * kvHeads * dim);
    rows.forEach((row, index) => {
      for (let head = 0; head < kvHeads; head++) {
        const from = (index * kvHeads + head) * dim;
        const position = row.position * dim * 4;
        memory
          .f32(this.headOffset(row.cache, layer, head, false) + position, dim)
          .set(keys.subarray(from, from + dim));
        memory
          .f32(this.headOffset(row.cache, layer, head, true) + position, dim)
          .set(values.subarray(from, from + dim));
      }
    });
  }

  private attend(
    rows: readonly ForwardRow[],
    layer: number,
    q: number,
    scores: number,
    out: number,
  ): void {
    const { kernels, config } = this;
    const { heads, headDim: dim } = config;
    rows.forEach((row, index) => {
      const positions = row.position + 1;
      for (let head = 0; head < heads; head++) {
        const kvHead = Math.floor(head / this.group);
        const query = q + (index * heads + head) * dim * 4;
        kernels.matmulF32(
          this.headOffset(row.cache, layer, kvHead, false),
          query,
          scores,
          positions,
          dim,
          1,
        );
        const values = kernels.memory.f32(scores, positions);
        for (let position = 0; position < positions; position++) values[position]! *= this.scale;
        kernels.softmax(scores, positions);
        kernels.weightedSum(
          this.headOffset(row.cache, layer, kvHead, true),
          scores,
          out + (index * heads + head) * dim * 4,
          positions,
          dim,
        );
      }
    });
  }
}
