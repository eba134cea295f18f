/**
 * node-llama-cpp, imported lazily (it is a peer dependency: installing llmr's core
 * never pulls a native binary), and one shared `Llama` per GPU setting (`build: 'never'`:
 * prebuilt binaries only, a load never starts a compiler).
 */
import { LlmrError } from '@llmr/core';

export type NodeLlamaCpp = typeof import('node-llama-cpp');
export type Llama = import('node-llama-cpp').Llama;
/** What node-llama-cpp's `getLlama` is asked for: `auto`, no GPU, or one backend. */
export type LlamaGpuSetting = 'auto' | false | 'cuda' | 'vulkan' | 'metal';

let module: Promise<NodeLlamaCpp> | undefined;
const instances = new Map<string, Promise<Llama>>();

export async function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  module ??= import('node-llama-cpp').catch((error: unknown) => {
    module = undefined;
    throw new LlmrError({
      code: 'missing-dependency',
      message:
        'GGUF models run on node-llama-cpp, which is not installed. Run `npm install node-llama-cpp` (its prebuilt CPU binaries need no compiler and no network at run time).',
      cause: error,
    });
  });
  return module;
}

export async function getSharedLlama(gpu: LlamaGpuSetting): Promise<Llama> {
  const key = String(gpu);
  let instance = instances.get(key);
  if (!instance) {
    instance = importNodeLlamaCpp().then(({ getLlama }) =>
      getLlama({
        gpu,
        build: 'never',
        logLevel: 'error' as never,
        progressLogs: false,
      } as unknown as Parameters<typeof getLlama>[0]),
    );
    instance.catch(() => instances.delete(key));
    instances.set(key, instance);
  }
  return instance;
}
