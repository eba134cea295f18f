/**
 * The registry the CLI uses: the mock loader always, and every optional llmr plugin
 * that is installed (imported lazily, so a missing one costs nothing).
 */
import { createRegistry, type LoaderV1, type Registry } from '@llmr/core';
import { mockLoader } from '@llmr/loader-mock';

/** Optional plugins: package name and the export that holds its default instance. */
const optionalLoaders: { packageName: string; exportName: string }[] = [
  { packageName: '@llmr/loader-gguf', exportName: 'ggufLoader' },
  { packageName: '@llmr/loader-onnx', exportName: 'onnxLoader' },
  { packageName: '@llmr/loader-hf', exportName: 'hfLoader' },
];

export async function createDefaultRegistry(): Promise<Registry> {
  const registry = createRegistry({ loaders: [mockLoader] });
  for (const { packageName, exportName } of optionalLoaders) {
    try {
      const module = (await import(packageName)) as Record<string, unknown>;
      const loader = module[exportName] as LoaderV1 | undefined;
      if (loader) registry.registerLoader(loader);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  return registry;
}
