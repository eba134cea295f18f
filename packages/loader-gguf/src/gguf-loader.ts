/**
 * The `gguf` loader: `.gguf` files (a path or `file:` URL) on llama.cpp. Model info comes
 * from the GGUF header (read with @llmr/gguf, no weights touched) before anything loads,
 * and a model that would not fit in memory is refused with a clear error.
 */
import { open, stat } from 'node:fs/promises';
import { availableParallelism, freemem } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InvalidArgumentError,
  LlmrError,
  LoadError,
  type LoaderV1,
  type LoaderV1LoadOptions,
  type ModelV1Capability,
  throwIfAborted,
} from '@llmr/core';
import { type GgufModelInfo, getGgufModelInfo, openGguf } from '@llmr/gguf';
import { createGgufModel, type GgufModel } from './gguf-model';
import {
  fallbackLine,
  type GgufGpu,
  type GgufGpuLayers,
  parseGpuLayers,
  parseGpuOption,
  resolveBackend,
} from './gpu-options';
import { createLlamaTokenizer } from './llama-tokenizer';
import { estimateMemory, formatBytes } from './memory-estimate';
import { importNodeLlamaCpp } from './runtime';
import type { SessionSwapOptions } from './session-swap';
import { chooseThreads } from './threads';

export interface GgufLoadOptions extends LoaderV1LoadOptions {
  /** Tokens of context per sequence (default: the model's, capped at 4096). */
  contextLength?: number;
  /** Parallel sequences: requests decoded at once (default 4). */
  sequences?: number;
  /** Requests that may wait for a sequence before BusyError (default 64). */
  maxQueue?: number;
  /** Threads (default: 1 for models under 50M parameters, else every core). */
  threads?: number;
  batchSize?: number;
  /**
   * `auto` (default): the best GPU node-llama-cpp finds, else the CPU; `false`: CPU only;
   * `cuda`, `vulkan`, `metal`: that backend. A GPU that cannot be used falls back to the
   * CPU with one log line saying why; `model.info.backend` says what runs.
   */
  gpu?: GgufGpu | 'on' | 'off' | boolean;
  /**
   * Layers offloaded to the GPU: `auto` (default) as many as fit in free GPU memory while
   * leaving room for this model's contexts, `max` all of them, or a number.
   */
  gpuLayers?: GgufGpuLayers;
  /**
   * Idle chat sessions' KV state saved to disk and restored when the conversation
   * continues (see session-swap.ts). Off unless given; `true` uses the defaults.
   */
  sessionSwap?: boolean | SessionSwapOptions;
  /** Where the loader's log lines go (a GPU fallback, a session that cannot be restored). Default `console.warn`. */
  log?: (line: string) => void;
  /** Memory-map the file (default true). */
  mmap?: boolean;
  /** Jinja chat template to use instead of the GGUF's own. */
  chatTemplate?: string;
  /** Refuse to load when the estimate exceeds this many bytes (default: free memory). */
  memoryBudget?: number;
  /**
   * The KV cache's element type (keys and values): `f16` (default), `q8_0` (about half
   * the memory) or `q4_0` (about a quarter). Quantized values need llama.cpp's flash
   * attention, which is then turned on; outputs may differ slightly from `f16`.
   */
  kvCacheType?: 'f16' | 'q8_0' | 'q4_0';
}

const KV_CACHE_TYPES = { f16: 'F16', q8_0: 'Q8_0', q4_0: 'Q4_0' } as const;

export interface GgufLoaderSettings {
  /** Defaults for every load. */
  defaults?: GgufLoadOptions;
}

const MAGIC = Buffer.from('GGUF', 'ascii');

export function sourceToPath(source: string): string {
  return source.startsWith('file:') ? fileURLToPath(source) : source;
}

async function hasGgufMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    return bytesRead === 4 && buffer.equals(MAGIC);
  } finally {
    await handle.close();
  }
}

function first(value: number | number[] | undefined): number | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function capabilitiesOf(meta: GgufModelInfo, pooling: boolean): ModelV1Capability[] {
  const capabilities: ModelV1Capability[] = [
    'completion',
    'json-schema',
    'grammar',
    'logprobs',
    'embeddings',
  ];
  if (meta.chatTemplate) capabilities.unshift('chat');
  if (meta.chatTemplate && /tools|tool_call/.test(meta.chatTemplate)) capabilities.push('tools');
  if (pooling) return ['embeddings'];
  return capabilities;
}

/** A loader whose models expose llama.cpp's figures (stats, resources, sessions). */
export interface GgufLoader extends LoaderV1 {
  doLoad(source: string, options?: GgufLoadOptions): Promise<GgufModel>;
}

export function createGgufLoader(settings: GgufLoaderSettings = {}): GgufLoader {
  return {
    specificationVersion: 'v1',
    name: 'gguf',

    async canLoad(source) {
      if (/^(hf|https?|mock):/.test(source)) return { confidence: 0, reason: 'not a local file' };
      const path = sourceToPath(source);
      try {
        if (await hasGgufMagic(path)) return { confidence: 1, reason: 'GGUF magic bytes' };
        return { confidence: 0, reason: 'no GGUF magic' };
      } catch {
        return path.endsWith('.gguf')
          ? { confidence: 0.3, reason: '.gguf name, but the file cannot be read' }
          : { confidence: 0, reason: 'unreadable' };
      }
    },

    async doLoad(source, loadOptions: GgufLoadOptions = {}): Promise<GgufModel> {
      const options: GgufLoadOptions = { ...settings.defaults, ...loadOptions };
      const kvCacheType = options.kvCacheType ?? 'f16';
      if (!Object.hasOwn(KV_CACHE_TYPES, kvCacheType))
        throw new InvalidArgumentError({
          argument: 'kvCacheType',
          value: kvCacheType,
          message: `kvCacheType must be one of ${Object.keys(KV_CACHE_TYPES).join(', ')}; got ${String(kvCacheType)}.`,
        });
      const path = sourceToPath(source);
      const fileInfo = await stat(path).catch((error: unknown) => {
        throw new LoadError({
          source,
          code: 'gguf-not-found',
          message: `Cannot open ${path}: ${(error as Error).message}.`,
          cause: error,
        });
      });
      let meta: GgufModelInfo;
      let normalizer: 'NFC' | undefined;
      try {
        const file = await openGguf(path);
        try {
          meta = getGgufModelInfo(file);
          normalizer = file.metadata['tokenizer.llmr.normalizer'] === 'NFC' ? 'NFC' : undefined;
        } finally {
          await file.close();
        }
      } catch (error) {
        if (LlmrError.isInstance(error) && !LoadError.isInstance(error)) {
          throw new LoadError({
            source,
            code: error.code,
            message: `${path} is not a usable GGUF file: ${error.message}`,
            cause: error,
          });
        }
        throw error;
      }
      throwIfAborted(options.abortSignal);
      options.onProgress?.({ loaded: 0, total: 1, stage: 'metadata' });

      const trainContext = meta.contextLength ?? 2048;
      const contextSize = Math.min(
        options.contextLength ?? Math.min(trainContext, 4096),
        trainContext,
      );
      const sequences = options.sequences ?? 4;
      const batchSize = options.batchSize ?? Math.min(512, contextSize);
      const heads = first(meta.headCount) ?? 1;
      const kvHeads = first(meta.headCountKv) ?? heads;
      const embedding = meta.embeddingLength ?? 0;
      const estimate = estimateMemory({
        fileBytes: fileInfo.size,
        layers: meta.blockCount ?? 0,
        kvHeads,
        headDim: embedding / heads,
        contextSize,
        sequences,
        vocabSize: meta.vocabSize ?? meta.tokenizer.tokens?.length ?? 32000,
        batchSize,
      });
      const budget = options.memoryBudget ?? freemem();
      if (estimate.total > budget) {
        throw new LoadError({
          source,
          code: 'insufficient-memory',
          message: `${basename(path)} needs about ${formatBytes(estimate.total)} (weights ${formatBytes(estimate.weights)}, KV cache ${formatBytes(estimate.kvCache)} for ${sequences} x ${contextSize} tokens, compute ${formatBytes(estimate.compute)}) but only ${formatBytes(budget)} is available. Lower contextLength or sequences, or use a smaller quantization.`,
        });
      }

      const gpu = parseGpuOption(options.gpu);
      const gpuLayers = parseGpuLayers(options.gpuLayers);
      const log = options.log ?? ((line: string) => console.warn(line));
      const runtime = await importNodeLlamaCpp();
      const { llama, backend } = await resolveBackend(gpu, log);
      const threads = options.threads ?? chooseThreads(meta.parameterCount, availableParallelism());
      let model: import('node-llama-cpp').LlamaModel;
      try {
        model = await llama.loadModel({
          modelPath: path,
          gpuLayers:
            backend === 'cpu'
              ? 0
              : gpuLayers === 'auto'
                ? { fitContext: { contextSize: contextSize * sequences } }
                : gpuLayers,
          useMmap: options.mmap ?? true,
          onLoadProgress: (progress: number) =>
            options.onProgress?.({ loaded: progress, total: 1, stage: 'weights' }),
        } as Parameters<typeof llama.loadModel>[0]);
      } catch (error) {
        throw new LoadError({
          source,
          code: 'gguf-load-failed',
          message: `llama.cpp could not load ${path}: ${(error as Error).message}`,
          cause: error,
        });
      }
      try {
        const context = await model.createContext({
          contextSize,
          sequences,
          threads,
          batchSize,
          // Flash attention on CPU rounds Q/K/V to F16; keep results exact unless asked
          // (a quantized V cache needs it).
          flashAttention: kvCacheType !== 'f16',
          experimentalKvCacheKeyType: KV_CACHE_TYPES[kvCacheType],
          experimentalKvCacheValueType: KV_CACHE_TYPES[kvCacheType],
        });
        const chatTemplate = options.chatTemplate ?? meta.chatTemplate;
        // A GPU backend with no layer offloaded computes on the CPU: say so, once.
        const running = backend !== 'cpu' && model.gpuLayers === 0 ? 'cpu' : backend;
        if (running !== backend)
          log(fallbackLine(backend, 'no layer fits in free GPU memory (gpuLayers resolved to 0)'));
        const info = {
          id: options.id ?? basename(path).replace(/\.gguf$/i, ''),
          format: 'gguf',
          architecture: meta.architecture,
          contextLength: contextSize,
          parameterCount: meta.parameterCount,
          quantization: meta.fileTypeName,
          capabilities: capabilitiesOf({ ...meta, chatTemplate }, false),
          chatTemplate,
          backend: running,
        };
        options.onProgress?.({ loaded: 1, total: 1, stage: 'ready' });
        return createGgufModel({
          info,
          llama,
          model,
          context,
          tokenizer: createLlamaTokenizer(
            model,
            chatTemplate,
            normalizer,
            meta.tokenizer.tokens?.length ?? meta.vocabSize,
          ),
          threads,
          maxQueue: options.maxQueue ?? 64,
          runtime,
          sessionSwap:
            options.sessionSwap === true
              ? {}
              : options.sessionSwap
                ? options.sessionSwap
                : undefined,
          log,
        });
      } catch (error) {
        await model.dispose();
        throw LlmrError.isInstance(error)
          ? error
          : new LoadError({
              source,
              code: 'gguf-context-failed',
              message: `llama.cpp could not create a context for ${path}: ${(error as Error).message}`,
              cause: error,
            });
      }
    },
  };
}

/** The default instance. */
export const ggufLoader: GgufLoader = createGgufLoader();
