/**
 * Execution providers: which device ONNX Runtime runs a session on. `cpu` is always there;
 * `cuda`, `webgpu` (and others the runtime knows) are passed through when asked for. A
 * provider the runtime lacks is refused with one clear error naming it, what this runtime
 * offers and how to get it, never a native message about a shared library.
 */
import { LlmrError } from '@llmr/core';

/** A provider as ONNX Runtime takes it: a name, or an object with a `name` and settings. */
export type ExecutionProviderOption = string | { name: string; [setting: string]: unknown };

/** What a runtime says it offers (onnxruntime-node's `listSupportedBackends()`). */
export interface KnownExecutionProvider {
  name: string;
  /** False when the build supports it but its files are installed separately (CUDA). */
  bundled: boolean;
}

const HINTS: Record<string, string> = {
  cuda: "onnxruntime-node's CUDA provider needs an NVIDIA GPU with CUDA 12 and cuDNN 9, and provider files its install script downloads: reinstall with `npm i onnxruntime-node --onnxruntime-node-install-cuda` (or ONNXRUNTIME_NODE_INSTALL_CUDA=v12) where the network reaches NuGet",
  webgpu:
    'WebGPU needs a GPU adapter: a browser with WebGPU (engine-webgpu), or a machine whose GPU driver exposes Vulkan, Metal or D3D12 to onnxruntime-node',
  tensorrt:
    "TensorRT needs NVIDIA's TensorRT libraries next to the CUDA provider files (see the cuda hint)",
};

export function providerName(provider: ExecutionProviderOption): string {
  return typeof provider === 'string' ? provider : provider.name;
}

/** Names of the requested providers other than the CPU (which every runtime has). */
export function requestedDevices(providers: unknown): string[] {
  if (!Array.isArray(providers)) return [];
  return (providers as ExecutionProviderOption[])
    .map(providerName)
    .filter((name) => name !== 'cpu' && name !== 'wasm');
}

export class ExecutionProviderUnavailableError extends LlmrError {
  readonly provider: string;
  constructor(options: { engine: string; provider: string; reason: string; cause?: unknown }) {
    const hint = HINTS[options.provider];
    super({
      code: 'execution-provider-unavailable',
      message: `${options.engine} cannot run on the "${options.provider}" execution provider here: ${options.reason}.${hint ? ` ${hint}.` : ''} Or use executionProvider "cpu".`,
      cause: options.cause,
    });
    this.name = 'ExecutionProviderUnavailableError';
    this.provider = options.provider;
  }
}

/** Refuses, before any session, a provider the runtime does not list at all. */
export function checkKnownProviders(
  engine: string,
  requested: readonly string[],
  known: readonly KnownExecutionProvider[] | undefined,
): void {
  if (!known) return;
  for (const name of requested) {
    if (!known.some((provider) => provider.name === name))
      throw new ExecutionProviderUnavailableError({
        engine,
        provider: name,
        reason: `this runtime offers ${known.map((provider) => provider.name).join(', ')}`,
      });
  }
}

/**
 * Whether a session-creation failure is about the provider rather than the model: the
 * runtime names a provider, a shared library, or an adapter it could not get.
 */
export function isProviderFailure(message: string, requested: readonly string[]): boolean {
  if (requested.length === 0) return false;
  if (
    /ExecutionProvider|execution provider|shared library|adapter|backend not found/i.test(message)
  )
    return true;
  return requested.some((name) => message.toLowerCase().includes(name.toLowerCase()));
}
