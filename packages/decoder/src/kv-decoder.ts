/**
 * One decoder session (any EngineSessionV1: ONNX Runtime, TF.js, ...) with a KV cache in
 * Optimum's layout: builds the feeds for a step
 * (prefill or decode), carries `present.*` over as the next `past_key_values.*`, and
 * returns the last logits row of each sequence. Several sequences decode in one batched
 * run: their caches are left-padded to the longest and masked out, then split again.
 */
import {
  type EngineSessionV1,
  InvalidArgumentError,
  LlmrError,
  type TensorV1,
  type TensorV1Data,
} from '@llmr/core';
import type { SequenceStepper } from './sequence-stepper';

type FloatTensorType = 'float32' | 'float16';

/** What a decoder graph looks like, from its inputs and the model's config. */
export interface DecoderLayout {
  layers: number;
  kvHeads: number;
  headDim: number;
  kvType: FloatTensorType;
  hasPositionIds: boolean;
  hasUseCacheBranch: boolean;
  hasLogitsToKeep: boolean;
  /** Past input name -> the output that carries it forward. */
  pastToPresent: Map<string, string>;
  /** The graph's format, the prefix of error codes (`onnx-unsupported-graph`, `tfjs-...`). */
  format: string;
}

/** What engines of llmr add to EngineSessionV1 (see @llmr/engine-node): optional here. */
interface SessionExtras {
  inputMetadata?: readonly { name: string; type?: string; dims?: readonly (number | string)[] }[];
  releaseTensors?(tensors: readonly TensorV1[]): void;
}

function configNumber(config: Record<string, unknown>, key: string): number | undefined {
  const value = config[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function decoderLayout(
  session: EngineSessionV1,
  config: Record<string, unknown>,
  fileName: string,
  format = 'onnx',
): DecoderLayout {
  const inputs = new Set(session.inputNames);
  const outputs = new Set(session.outputNames);
  const fail = (message: string): never => {
    throw new LlmrError({ code: `${format}-unsupported-graph`, message });
  };
  if (!inputs.has('input_ids') || !outputs.has('logits')) {
    fail(
      `${fileName} is not a causal-LM decoder: it needs an input "input_ids" and an output "logits" (inputs: ${[...inputs].join(', ')}).`,
    );
  }
  const pastToPresent = new Map<string, string>();
  let layers = 0;
  for (const name of inputs) {
    const match = /^past_key_values\.(\d+)\.(key|value)$/.exec(name);
    if (!match) continue;
    layers = Math.max(layers, Number(match[1]) + 1);
    const present = `present.${match[1]}.${match[2]}`;
    if (!outputs.has(present))
      fail(`${fileName} has input ${name} but no output ${present} to carry the cache forward.`);
    pastToPresent.set(name, present);
  }
  if (layers === 0 || pastToPresent.size !== layers * 2) {
    fail(
      `${fileName} has no KV cache inputs (past_key_values.{i}.key/value): export it "with past" (Optimum's text-generation-with-past).`,
    );
  }
  const metadata = (session as SessionExtras).inputMetadata?.find(
    (input) => input.name === 'past_key_values.0.key',
  );
  const heads = configNumber(config, 'num_attention_heads');
  const kvHeads =
    (typeof metadata?.dims?.[1] === 'number' ? metadata.dims[1] : undefined) ??
    configNumber(config, 'num_key_value_heads') ??
    heads;
  const headDim =
    (typeof metadata?.dims?.[3] === 'number' ? metadata.dims[3] : undefined) ??
    configNumber(config, 'head_dim') ??
    (heads ? (configNumber(config, 'hidden_size') ?? 0) / heads : undefined);
  if (!kvHeads || !headDim) {
    fail(
      'config.json must give num_key_value_heads (or num_attention_heads) and head_dim (or hidden_size) for the KV cache shape.',
    );
  }
  const kvType: FloatTensorType =
    metadata?.type === 'float16' || (!metadata?.type && /fp16|f16/.test(fileName))
      ? 'float16'
      : 'float32';
  return {
    layers,
    kvHeads: kvHeads!,
    headDim: headDim!,
    kvType,
    hasPositionIds: inputs.has('position_ids'),
    hasUseCacheBranch: inputs.has('use_cache_branch'),
    hasLogitsToKeep: inputs.has('num_logits_to_keep') || inputs.has('logits_to_keep'),
    pastToPresent,
    format,
  };
}

/** One sequence's cache: tensors by past input name, and how many positions they hold. */
export interface KvCache {
  past: Map<string, TensorV1> | undefined;
  length: number;
  /** Set when its request ended: a step still in flight frees its outputs at once. */
  closed?: boolean;
}

const int64 = (values: ArrayLike<number>, dims: number[]): TensorV1 => ({
  type: 'int64',
  dims,
  data: BigInt64Array.from(Array.from(values), (value) => BigInt(value)),
});

function emptyOf(type: FloatTensorType, size: number): Float32Array | Uint16Array {
  return type === 'float16' ? new Uint16Array(size) : new Float32Array(size);
}

let float16Table: Float32Array | undefined;
/** float16 bits -> float32, through a 64k-entry table built once. */
function float16ToFloat32(bits: Uint16Array): Float32Array {
  if (!float16Table) {
    float16Table = new Float32Array(65536);
    for (let value = 0; value < 65536; value++) {
      const sign = value & 0x8000 ? -1 : 1;
      const exponent = (value >> 10) & 0x1f;
      const fraction = value & 0x3ff;
      float16Table[value] =
        exponent === 0
          ? sign * 2 ** -14 * (fraction / 1024)
          : exponent === 31
            ? fraction
              ? Number.NaN
              : sign * Number.POSITIVE_INFINITY
            : sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
    }
  }
  const out = new Float32Array(bits.length);
  for (let index = 0; index < bits.length; index++) out[index] = float16Table[bits[index]!]!;
  return out;
}

export interface DecodeItem {
  cache: KvCache;
  /** Tokens to feed: the whole prompt (prefill) or the last token (decode). */
  tokens: readonly number[];
}

export class KvDecoder implements SequenceStepper<KvCache> {
  constructor(
    readonly session: EngineSessionV1,
    readonly layout: DecoderLayout,
    readonly vocabularySize: number,
  ) {}

  /** A decode step of a sequence that has a cache: a prompt runs alone. */
  isBatchable(item: DecodeItem): boolean {
    return item.tokens.length === 1 && item.cache.past !== undefined;
  }

  /** Frees the device buffers of a cache no one will feed again. */
  releaseCache(cache: KvCache): void {
    if (cache.past) (this.session as SessionExtras).releaseTensors?.([...cache.past.values()]);
    cache.past = undefined;
  }

  /** The request is over: free its cache now and whatever a step in flight returns. */
  closeCache(cache: KvCache): void {
    cache.closed = true;
    this.releaseCache(cache);
  }

  private emptyPast(batch: number): Map<string, TensorV1> {
    const { kvHeads, headDim, kvType } = this.layout;
    const past = new Map<string, TensorV1>();
    for (const name of this.layout.pastToPresent.keys())
      past.set(name, {
        type: kvType,
        dims: [batch, kvHeads, 0, headDim],
        data: emptyOf(kvType, 0),
      });
    return past;
  }

  private logitsRows(logits: TensorV1, rows: number): Float32Array[] {
    const [batch, sequence, vocabulary] = logits.dims as [number, number, number];
    if (logits.dims.length !== 3 || batch !== rows) {
      throw new LlmrError({
        code: `${this.layout.format}-unexpected-output`,
        message: `The graph returned logits of dims [${logits.dims.join(', ')}]; expected [${rows}, sequence, vocabulary].`,
      });
    }
    const data =
      logits.type === 'float16'
        ? float16ToFloat32(logits.data as Uint16Array)
        : (logits.data as Float32Array);
    return Array.from({ length: rows }, (_, row) => {
      const start = (row * sequence + sequence - 1) * vocabulary;
      return data.slice(start, start + vocabulary);
    });
  }

  private commonFeeds(feeds: Record<string, TensorV1>, pastLength: number) {
    if (this.layout.hasUseCacheBranch)
      feeds.use_cache_branch = {
        type: 'bool',
        dims: [1],
        data: Uint8Array.of(pastLength > 0 ? 1 : 0),
      };
    if (this.session.inputNames.includes('num_logits_to_keep'))
      feeds.num_logits_to_keep = int64([1], []);
    if (this.session.inputNames.includes('logits_to_keep')) feeds.logits_to_keep = int64([1], []);
  }

  /** Runs one sequence (prefill of a whole prompt, or a decode step); updates its cache. */
  async step(item: DecodeItem, abortSignal?: AbortSignal): Promise<Float32Array> {
    const { cache, tokens } = item;
    if (tokens.length === 0)
      throw new InvalidArgumentError({
        argument: 'tokens',
        message: 'A step needs at least one token.',
      });
    const total = cache.length + tokens.length;
    const feeds: Record<string, TensorV1> = {
      input_ids: int64(tokens, [1, tokens.length]),
      attention_mask: int64(new Array(total).fill(1), [1, total]),
    };
    if (this.layout.hasPositionIds)
      feeds.position_ids = int64(
        tokens.map((_, index) => cache.length + index),
        [1, tokens.length],
      );
    this.commonFeeds(feeds, cache.length);
    const past = cache.past ?? this.emptyPast(1);
    for (const [name, tensor] of past) feeds[name] = tensor;
    const outputs = await this.session.run(feeds, { abortSignal });
    const next = new Map<string, TensorV1>();
    for (const [name, present] of this.layout.pastToPresent) next.set(name, outputs[present]!);
    this.releaseCache(cache);
    cache.past = next;
    cache.length = total;
    if (cache.closed) this.releaseCache(cache);
    return this.logitsRows(outputs.logits!, 1)[0]!;
  }

  /**
   * One decode step for several sequences in one run (each feeds one token). Caches
   * must be on the CPU. Returns each sequence's logits row, in order.
   */
  async batchStep(
    items: readonly DecodeItem[],
    abortSignal?: AbortSignal,
  ): Promise<Float32Array[]> {
    if (items.length === 1) return [await this.step(items[0]!, abortSignal)];
    const { kvHeads, headDim, kvType } = this.layout;
    const batch = items.length;
    const width = Math.max(...items.map((item) => item.cache.length));
    const ids: number[] = [];
    const mask: number[] = [];
    const positions: number[] = [];
    for (const item of items) {
      if (item.tokens.length !== 1)
        throw new Error('batchStep feeds exactly one token per sequence.');
      ids.push(item.tokens[0]!);
      const pad = width - item.cache.length;
      for (let index = 0; index < width + 1; index++) mask.push(index < pad ? 0 : 1);
      positions.push(item.cache.length);
    }
    const feeds: Record<string, TensorV1> = {
      input_ids: int64(ids, [batch, 1]),
      attention_mask: int64(mask, [batch, width + 1]),
    };
    if (this.layout.hasPositionIds) feeds.position_ids = int64(positions, [batch, 1]);
    this.commonFeeds(feeds, width);
    const rowSize = width * headDim;
    for (const name of this.layout.pastToPresent.keys()) {
      const data = emptyOf(kvType, batch * kvHeads * rowSize);
      items.forEach((item, row) => {
        const source = item.cache.past?.get(name)?.data as Float32Array | Uint16Array | undefined;
        const length = item.cache.length;
        if (!source || length === 0) return;
        const pad = width - length;
        for (let head = 0; head < kvHeads; head++) {
          const from = head * length * headDim;
          data.set(
            source.subarray(from, from + length * headDim),
            (row * kvHeads + head) * rowSize + pad * headDim,
          );
        }
      });
      feeds[name] = { type: kvType, dims: [batch, kvHeads, width, headDim], data };
    }
    const outputs = await this.session.run(feeds, { abortSignal });
    const presentWidth = width + 1;
    items.forEach((item, row) => {
      const next = new Map<string, TensorV1>();
      const length = item.cache.length + 1;
      const pad = presentWidth - length;
      for (const [name, presentName] of this.layout.pastToPresent) {
        const present = outputs[presentName]!.data as Float32Array | Uint16Array;
        const data = emptyOf(kvType, kvHeads * length * headDim);
        for (let head = 0; head < kvHeads; head++) {
          const from = ((row * kvHeads + head) * presentWidth + pad) * headDim;
          data.set(present.subarray(from, from + length * headDim), head * length * headDim);
        }
        next.set(name, {
          type: kvType,
          dims: [1, kvHeads, length, headDim],
          data: data as TensorV1Data,
        });
      }
      item.cache.past = next;
      item.cache.length = length;
    });
    return this.logitsRows(outputs.logits!, batch);
  }
}
