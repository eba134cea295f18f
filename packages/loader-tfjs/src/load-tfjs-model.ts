/**
 * Loads a checked TF.js model onto the official runtimes: graph models with
 * `@tensorflow/tfjs-converter`, layers models with `@tensorflow/tfjs-layers`, both on
 * `@tensorflow/tfjs-core` with the backend asked for (`cpu` by default). The runtimes are
 * optional peer dependencies, imported only here, with an error naming what to install.
 */
import { LlmrError } from '@llmr/core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { io } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  readTfjsArtifacts,
  type TfjsArtifacts,
  type TfjsLimits,
  type TfjsModelBytes,
} from './tfjs-artifacts';

export interface LoadTfjsOptions {
  /**
   * The tfjs-core backend: `cpu` (default, registered from `@tensorflow/tfjs-backend-cpu`), or
   * one the application registered itself (`wasm` from `@tensorflow/tfjs-backend-wasm`,
   * `tensorflow` from `@tensorflow/tfjs-node`).
   */
  backend?: string;
  limits?: Partial<TfjsLimits>;
  /** fetch for http(s) sources. */
  fetch?: typeof fetch;
}

export type TfjsModel =
  | { format: 'graph-model'; model: GraphModel; artifacts: TfjsArtifacts }
  | { format: 'layers-model'; model: LayersModel; artifacts: TfjsArtifacts };

async function importRuntime<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new LlmrError({
      code: 'tfjs-runtime-missing',
      message: `Loading TF.js models needs ${name}: npm install ${name}.`,
      cause: error,
    });
  }
}

async function selectBackend(backend: string) {
  const tf = await importRuntime('@tensorflow/tfjs-core', () => import('@tensorflow/tfjs-core'));
  if (backend === 'cpu')
    await importRuntime(
      '@tensorflow/tfjs-backend-cpu',
      () => import('@tensorflow/tfjs-backend-cpu'),
    );
  if (!(await tf.setBackend(backend).catch(() => false))) {
    throw new LlmrError({
      code: 'tfjs-backend-unavailable',
      message: `The TF.js backend "${backend}" is not registered or failed to start; import its package (e.g. @tensorflow/tfjs-backend-${backend}) before loading, or use "cpu".`,
    });
  }
  await tf.ready();
  return tf;
}

/** Loads a TF.js model from `model.json` (or its directory), an http(s) URL of either, or bytes. */
export async function loadTfjsModel(
  source: string | TfjsModelBytes,
  options: LoadTfjsOptions = {},
): Promise<TfjsModel> {
  const artifacts = await readTfjsArtifacts(source, options.limits, { fetch: options.fetch });
  return instantiateTfjsModel(artifacts, options.backend);
}

/** Puts already checked artifacts onto the TF.js runtime (graph or layers) on `backend`. */
export async function instantiateTfjsModel(
  artifacts: TfjsArtifacts,
  backend = 'cpu',
): Promise<TfjsModel> {
  await selectBackend(backend);
  // An in-memory IO handler: TF.js reads the already checked artifacts, never the disk.
  const handler: io.IOHandler = { load: async () => artifacts as unknown as io.ModelArtifacts };
  if (artifacts.format === 'graph-model') {
    const { loadGraphModel } = await importRuntime(
      '@tensorflow/tfjs-converter',
      () => import('@tensorflow/tfjs-converter'),
    );
    return { format: 'graph-model', model: await loadGraphModel(handler), artifacts };
  }
  const { loadLayersModel } = await importRuntime(
    '@tensorflow/tfjs-layers',
    () => import('@tensorflow/tfjs-layers'),
  );
  return { format: 'layers-model', model: await loadLayersModel(handler), artifacts };
}
