import type { TokenizerV1 } from '../../tokenizer/v1/tokenizer-v1';
import type { ModelV1CallOptions } from './model-v1-call-options';
import type {
  ModelV1EmbedOptions,
  ModelV1EmbedResult,
  ModelV1GenerateResult,
  ModelV1StreamResult,
} from './model-v1-result';

export type ModelV1Capability =
  | 'chat'
  | 'completion'
  | 'embeddings'
  | 'tools'
  | 'json-schema'
  | 'grammar'
  | 'logprobs';

export interface ModelV1Info {
  /** Stable id the model is known by (router key, OpenAI `model`). */
  id: string;
  /** File or runtime format: `gguf`, `onnx`, `safetensors`, `mock`, `openai`, ... */
  format: string;
  /** e.g. `llama`, `qwen2`. */
  architecture?: string;
  contextLength: number;
  parameterCount?: number;
  /** e.g. `Q4_0`, `F16`, `q8`. */
  quantization?: string;
  capabilities: ModelV1Capability[];
  /** Chat template (Jinja) the model applies to messages, when it has one. */
  chatTemplate?: string;
  /**
   * The compute backend the runtime actually uses: `cpu`, `cuda`, `vulkan`, `metal`,
   * `webgpu`, ... (what ran, not what was asked for).
   */
  backend?: string;
}

/**
 * Memory a loaded model holds, as its runtime reports it (not an estimate). Every figure
 * is in bytes; `total` is what a memory budget should count.
 */
export interface ModelV1Resources {
  /** Everything below together: weights plus every context's buffers. */
  total: number;
  /** The weights as loaded (host and device together). */
  weights: number;
  /** Contexts: KV cache and compute buffers, as allocated. */
  contexts: number;
  /** Of the above, what sits in GPU memory (0 on CPU). */
  gpu: number;
}

/**
 * One loaded model. Spec methods start with `do`: users call friendly helpers
 * (`generate`, `stream` in @llmr/core) rather than these.
 */
export interface ModelV1 {
  readonly specificationVersion: 'v1';
  readonly info: ModelV1Info;
  /** The model's tokenizer, when the runtime exposes one. */
  readonly tokenizer?: TokenizerV1;

  doGenerate(options: ModelV1CallOptions): Promise<ModelV1GenerateResult>;
  doStream(options: ModelV1CallOptions): Promise<ModelV1StreamResult>;
  doEmbed?(options: ModelV1EmbedOptions): Promise<ModelV1EmbedResult>;
  /** Memory the runtime holds for this model now, when it can say. */
  resources?(): ModelV1Resources;

  /** Frees every resource. Every later call fails with ModelDisposedError. */
  dispose(): Promise<void>;
}
