/**
 * A Cloudflare Workers / workerd module worker that serves a GGUF model on the simple
 * runtime. Workers cannot compile WebAssembly from bytes at run time, so the kernels come
 * in as a compiled module (`import kernels from './kernels.wasm'`); the model arrives as a data binding (bundled bytes) or
 * is fetched from `MODEL_URL`. The model loads on the first request and stays for the
 * isolate's life.
 */
import type { ModelV1 } from '@llmr/core';
import { LoadError } from '@llmr/core';
import { createEdgeHandler, type EdgeHandler } from './edge-handler';

export interface EdgeWorkerEnv {
  /** The GGUF bytes (a data binding). */
  MODEL?: ArrayBuffer;
  /** Where to fetch the GGUF from when there is no MODEL binding. */
  MODEL_URL?: string;
  /** Context length to load with. Default 512. */
  CONTEXT_LENGTH?: string;
  /** "1" enables POST /v1/conformance (runs the conformance kit in the worker). */
  CONFORMANCE?: string;
}

async function modelBytes(env: EdgeWorkerEnv): Promise<Uint8Array> {
  if (env.MODEL) return new Uint8Array(env.MODEL);
  if (env.MODEL_URL) {
    const response = await fetch(env.MODEL_URL);
    if (!response.ok)
      throw new LoadError({
        source: env.MODEL_URL,
        message: `Fetching the model from ${env.MODEL_URL} answered ${response.status}; check MODEL_URL.`,
      });
    return new Uint8Array(await response.arrayBuffer());
  }
  throw new LoadError({
    source: 'env',
    message: 'The worker has neither a MODEL data binding nor MODEL_URL; bind one of them.',
  });
}

export interface EdgeWorkerOptions {
  /**
   * @llmr/kernels-wasm's kernels.wasm, imported as a module by the worker script. Without
   * it the kernels compile from bytes, which Workers refuse (then the TypeScript kernels).
   */
  kernels?: WebAssembly.Module;
}

// The runtime is a peer dependency, imported on first load so the handler alone stays light.
async function importRuntime(): Promise<typeof import('@llmr/runtime-simple')> {
  try {
    return await import('@llmr/runtime-simple');
  } catch (error) {
    throw new LoadError({
      source: '@llmr/runtime-simple',
      message:
        'createEdgeWorker needs @llmr/runtime-simple; install it: npm install @llmr/runtime-simple',
      cause: error,
    });
  }
}

async function loadModel(env: EdgeWorkerEnv, options: EdgeWorkerOptions): Promise<ModelV1> {
  const [{ loadSimpleGguf }, bytes] = await Promise.all([importRuntime(), modelBytes(env)]);
  return loadSimpleGguf(bytes, {
    contextLength: Number(env.CONTEXT_LENGTH ?? 512),
    kernels: options.kernels ? { module: options.kernels } : undefined,
  });
}

/** Builds the worker's default export: `export default createEdgeWorker({ kernels })`. */
export function createEdgeWorker(options: EdgeWorkerOptions = {}): {
  fetch(request: Request, env: EdgeWorkerEnv): Promise<Response>;
} {
  let handler: EdgeHandler | undefined;
  return {
    fetch(request, env) {
      if (!handler) {
        let model: Promise<ModelV1> | undefined;
        handler = createEdgeHandler({
          model: () => {
            // A failed load is retried by the next request rather than cached.
            model ??= loadModel(env, options).catch((error) => {
              model = undefined;
              throw error;
            });
            return model;
          },
          createModel: env.CONFORMANCE === '1' ? () => loadModel(env, options) : undefined,
        });
      }
      return handler(request);
    },
  };
}
