/**
 * What the current JavaScript platform offers, for engines to say whether they can run
 * here. Detection reads globals only; node:worker_threads is probed through a computed
 * specifier so browser and edge bundlers leave it alone.
 */
export type JavaScriptRuntime = 'node' | 'deno' | 'bun' | 'workerd' | 'browser' | 'unknown';

export interface PlatformCapabilities {
  runtime: JavaScriptRuntime;
  webAssembly: boolean;
  /** WebAssembly SIMD128; left undefined by detectPlatform (kernel packages probe it). */
  wasmSimd?: boolean;
  /** `node:worker_threads` can be imported and has a Worker class. */
  workerThreads: boolean;
}

export function detectRuntime(): JavaScriptRuntime {
  const scope = globalThis as Record<string, unknown> & {
    navigator?: { userAgent?: string };
    process?: { versions?: { node?: string } };
  };
  // Deno and Bun also define process.versions.node, so they are asked first.
  if (typeof scope.Deno === 'object') return 'deno';
  if (typeof scope.Bun === 'object') return 'bun';
  if (scope.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd';
  if (typeof scope.process?.versions?.node === 'string') return 'node';
  if (typeof scope.document === 'object') return 'browser';
  return 'unknown';
}

export async function detectPlatform(): Promise<PlatformCapabilities> {
  const runtime = detectRuntime();
  let workerThreads = false;
  if (runtime === 'node' || runtime === 'deno' || runtime === 'bun') {
    const specifier = 'node:worker_threads';
    try {
      const module = (await import(/* @vite-ignore */ specifier)) as { Worker?: unknown };
      workerThreads = typeof module.Worker === 'function';
    } catch {
      workerThreads = false;
    }
  }
  return { runtime, webAssembly: typeof WebAssembly === 'object', workerThreads };
}
