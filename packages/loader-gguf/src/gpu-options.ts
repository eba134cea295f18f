/**
 * Which compute backend llama.cpp runs on. `auto` (the default) takes the best GPU
 * node-llama-cpp finds (CUDA, Vulkan or Metal, from the prebuilt binaries that come with
 * it); a named backend asks for that one. Whenever a GPU was wanted and none can be used,
 * the model still loads, on the CPU, and one log line says why: a server should come up
 * slower rather than not at all.
 */
import { InvalidArgumentError } from '@llmr/core';
import { getSharedLlama, importNodeLlamaCpp, type Llama, type LlamaGpuSetting } from './runtime';

/** `auto`, `false` (CPU only), or one GPU backend. */
export type GgufGpu = 'auto' | false | 'cuda' | 'vulkan' | 'metal';

/** The backend that actually runs. */
export type GgufBackend = 'cpu' | 'cuda' | 'vulkan' | 'metal';

/** How many layers go to the GPU: `auto` fits as many as memory allows, `max` all of them. */
export type GgufGpuLayers = 'auto' | 'max' | number;

const GPU_BACKENDS = ['cuda', 'vulkan', 'metal'] as const;

/**
 * The `gpu` option as given (also core's generic `on`/`off`/booleans) to one setting;
 * anything else is refused with the accepted values.
 */
export function parseGpuOption(value: unknown): GgufGpu {
  if (value === undefined || value === 'auto' || value === 'on' || value === true) return 'auto';
  if (value === false || value === 'off' || value === 'cpu') return false;
  if ((GPU_BACKENDS as readonly unknown[]).includes(value)) return value as GgufGpu;
  throw new InvalidArgumentError({
    argument: 'gpu',
    value,
    message: `gpu must be "auto", false, "cuda", "vulkan" or "metal"; got ${JSON.stringify(value)}.`,
  });
}

export function parseGpuLayers(value: unknown): GgufGpuLayers {
  if (value === undefined) return 'auto';
  if (value === 'auto' || value === 'max') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw new InvalidArgumentError({
    argument: 'gpuLayers',
    value,
    message: `gpuLayers must be "auto", "max" or a whole number of layers (0 or more); got ${JSON.stringify(value)}.`,
  });
}

export interface ResolvedBackend {
  llama: Llama;
  backend: GgufBackend;
  /** Why a wanted GPU is not used; undefined when nothing fell back. */
  fallbackReason?: string;
}

async function whyNoGpu(): Promise<string> {
  const { getLlamaGpuTypes } = await importNodeLlamaCpp();
  const supported = (await getLlamaGpuTypes('supported').catch(() => [])).filter(
    (type): type is 'cuda' | 'vulkan' | 'metal' => type !== false,
  );
  if (supported.length === 0) return 'no CUDA, Vulkan or Metal device with its driver was found';
  return `a ${supported.join('/')} device was found but node-llama-cpp's ${supported.join('/')} binaries are not installed (npm installs them with node-llama-cpp unless optional dependencies are skipped)`;
}

/** The shared Llama for a setting, falling back to the CPU when the GPU cannot be used. */
export async function resolveBackend(
  gpu: GgufGpu,
  log: (line: string) => void,
): Promise<ResolvedBackend> {
  if (gpu === false) return { llama: await getSharedLlama(false), backend: 'cpu' };
  let llama: Llama;
  try {
    llama = await getSharedLlama(gpu as LlamaGpuSetting);
  } catch (error) {
    // A named backend whose binaries or driver are missing: node-llama-cpp throws.
    const reason = `the ${gpu} backend cannot start: ${(error as Error).message.split('\n')[0]}`;
    log(fallbackLine(gpu, reason));
    return { llama: await getSharedLlama(false), backend: 'cpu', fallbackReason: reason };
  }
  if (llama.gpu !== false) return { llama, backend: llama.gpu };
  // `auto` found no GPU and already runs the CPU binaries.
  const reason = await whyNoGpu();
  log(fallbackLine(gpu, reason));
  return { llama, backend: 'cpu', fallbackReason: reason };
}

export function fallbackLine(gpu: GgufGpu | string, reason: string): string {
  return `llmr loader-gguf: running on the CPU, GPU "${gpu}" not used: ${reason}.`;
}
