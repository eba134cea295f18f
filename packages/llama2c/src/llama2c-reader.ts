/**
 * Opens a llama2.c `.bin` checkpoint and presents it as a Hugging Face Llama checkpoint:
 * `config.json` values, HF tensor names, and Q/K rows in HF's rotate-half RoPE layout.
 * llama2.c (like Meta's original code) rotates interleaved pairs, so its wq/wk rows are
 * reordered here exactly as Hugging Face's conversion script does; converters that target
 * llama.cpp then apply their usual HF -> GGUF permutation and get Meta's layout back.
 */
import {
  type ByteSource,
  type ByteSourceInput,
  type ByteSourceOptions,
  openByteSourceWith,
} from '@llmr/binary-io';
import {
  LLAMA2C_HEADER_SIZE,
  type Llama2cConfig,
  type Llama2cHeader,
  type Llama2cTensorSlot,
  llama2cError,
  llama2cLayout,
  parseLlama2cHeader,
} from './llama2c-header';

export interface Llama2cCheckpoint {
  readonly header: Llama2cHeader;
  /** A Hugging Face `config.json` for the model (LlamaForCausalLM). */
  readonly config: Record<string, unknown>;
  /** HF tensor names (`model.layers.0.self_attn.q_proj.weight`, ...). */
  readonly names: readonly string[];
  shape(name: string): readonly number[];
  /** `F32` (v0, v1) or `Q8_0` (v2 matrices). */
  dtype(name: string): string;
  /** Values as float32 in HF layout (v2 matrices dequantized). */
  readFloat32(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

const HF_NAMES: Record<string, string> = {
  attention_norm: 'input_layernorm.weight',
  ffn_norm: 'post_attention_layernorm.weight',
  wq: 'self_attn.q_proj.weight',
  wk: 'self_attn.k_proj.weight',
  wv: 'self_attn.v_proj.weight',
  wo: 'self_attn.o_proj.weight',
  w1: 'mlp.gate_proj.weight',
  w2: 'mlp.down_proj.weight',
  w3: 'mlp.up_proj.weight',
};

/** llama2.c name -> HF name; undefined for what HF does not store (the RoPE tables). */
export function llama2cToHfName(name: string): string | undefined {
  if (name === 'tok_embeddings') return 'model.embed_tokens.weight';
  if (name === 'norm') return 'model.norm.weight';
  if (name === 'output') return 'lm_head.weight';
  const match = /^layers\.(\d+)\.(\w+)$/.exec(name);
  const part = match ? HF_NAMES[match[2]!] : undefined;
  return part ? `model.layers.${match![1]}.${part}` : undefined;
}

/**
 * Meta's interleaved RoPE rows -> HF's rotate-half rows, per head: row 2j goes to j and row
 * 2j+1 to j + headDim/2 (the `permute` of HF's convert_llama_weights_to_hf).
 */
export function interleavedToHalves(
  data: Float32Array,
  heads: number,
  columns: number,
): Float32Array {
  const rows = data.length / columns;
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Float32Array(data.length);
  for (let head = 0; head < heads; head++) {
    for (let pair = 0; pair < half; pair++) {
      for (let part = 0; part < 2; part++) {
        const from = (head * headDim + 2 * pair + part) * columns;
        const to = (head * headDim + part * half + pair) * columns;
        out.set(data.subarray(from, from + columns), to);
      }
    }
  }
  return out;
}

/** The HF `config.json` a llama2.c model corresponds to (run.c: RMSNorm eps 1e-5, RoPE base 10000). */
export function llama2cHfConfig(config: Llama2cConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: config.dim,
    intermediate_size: config.hiddenDim,
    num_hidden_layers: config.layers,
    num_attention_heads: config.heads,
    num_key_value_heads: config.kvHeads,
    vocab_size: config.vocabSize,
    max_position_embeddings: config.maxSeqLen,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: config.sharedClassifier,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    torch_dtype: 'float32',
  };
}

/** True when `head` (the first 256 bytes) is a llama2.c header whose layout fills `size` bytes exactly. */
export function isLlama2cCheckpoint(head: Uint8Array, size: number): boolean {
  try {
    return llama2cLayout(parseLlama2cHeader(head)).size === size;
  } catch {
    return false;
  }
}

/** Opens a llama2.c checkpoint (path, URL, Blob or bytes). Close it when done. */
export async function openLlama2c(
  input: ByteSourceInput | ByteSource,
  options: ByteSourceOptions = {},
): Promise<Llama2cCheckpoint> {
  const { source, value } = await openByteSourceWith(input, options, async (source) => {
    const head = await source.read(0, LLAMA2C_HEADER_SIZE);
    const header = parseLlama2cHeader(head);
    const layout = llama2cLayout(header);
    const size = source.size ?? layout.size;
    if (size !== layout.size) {
      throw llama2cError(
        'llama2c-size-mismatch',
        `${source.name}: a v${header.version} checkpoint with this header (dim ${header.config.dim}, ${header.config.layers} layers, vocab ${header.config.vocabSize}, ${header.config.sharedClassifier ? 'shared' : 'separate'} classifier) is ${layout.size} bytes, but the file is ${size}. It is truncated, or not a llama2.c checkpoint.`,
      );
    }
    return { header, layout };
  });
  const { header } = value;
  const slots = new Map<string, Llama2cTensorSlot>();
  for (const slot of value.layout.slots) {
    const name = llama2cToHfName(slot.name);
    if (name) slots.set(name, slot);
  }
  const get = (name: string) => {
    const slot = slots.get(name);
    if (!slot) {
      throw llama2cError(
        'llama2c-invalid-header',
        `No tensor named "${name.slice(0, 200)}" in ${source.name}.`,
      );
    }
    return slot;
  };
  const read = async (offset: number, length: number) => {
    const bytes = await source.read(offset, length);
    if (bytes.byteLength < length)
      throw llama2cError(
        'llama2c-size-mismatch',
        `${source.name} ends before byte ${offset + length}.`,
      );
    return bytes;
  };
  const float32 = async (offset: number, count: number) =>
    new Float32Array((await read(offset, count * 4)).slice().buffer);

  return {
    header,
    config: llama2cHfConfig(header.config),
    names: [...slots.keys()],
    shape: (name) => get(name).shape,
    dtype: (name) => (get(name).encoding === 'q8' ? 'Q8_0' : 'F32'),
    async readFloat32(name) {
      const slot = get(name);
      const count = slot.shape.reduce((product, dim) => product * dim, 1);
      let values: Float32Array;
      if (slot.encoding === 'f32') {
        values = await float32(slot.offset, count);
      } else {
        const groupSize = header.groupSize!;
        const quants = new Int8Array((await read(slot.offset, count)).slice().buffer);
        const scales = await float32(slot.scalesOffset!, count / groupSize);
        values = new Float32Array(count);
        for (let index = 0; index < count; index++)
          values[index] = quants[index]! * scales[Math.floor(index / groupSize)]!;
      }
      if (/self_attn\.q_proj/.test(name))
        return interleavedToHalves(values, header.config.heads, slot.shape[1]!);
      if (/self_attn\.k_proj/.test(name))
        return interleavedToHalves(values, header.config.kvHeads, slot.shape[1]!);
      return values;
    },
    close: () => source.close(),
  };
}
