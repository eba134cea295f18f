/**
 * The registry the CLI uses: the mock loader always, and every optional llmr plugin that is
 * installed (GGUF, convert-on-first-use, ONNX, TF.js, hf:), imported lazily, so a missing one costs
 * nothing. ONNX models get the installed engines to choose from; `engineName` in load options
 * picks one.
 */
import {
  createRegistry,
  type EngineV1,
  InvalidArgumentError,
  type LoaderV1,
  type Registry,
} from '@llmr/core';
import { mockLoader } from '@llmr/loader-mock';

async function optionalImport(packageName: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(packageName)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/** Engines for graph models, best first when several are available. */
const optionalEngines = [
  { packageName: '@llmr/engine-node', exportName: 'nodeEngine' },
  { packageName: '@llmr/engine-wasm', exportName: 'wasmEngine' },
];

export async function createDefaultRegistry(): Promise<Registry> {
  const registry = createRegistry({ loaders: [mockLoader] });
  for (const { packageName, exportName } of optionalEngines) {
    const engine = (await optionalImport(packageName))?.[exportName] as EngineV1 | undefined;
    if (engine) registry.registerEngine(engine);
  }
  const gguf = await optionalImport('@llmr/loader-gguf');
  if (gguf?.ggufLoader) registry.registerLoader(gguf.ggufLoader as LoaderV1);
  // HF directories (safetensors or PyTorch weights) and llama2.c files: converted to GGUF on
  // first use into llmr's cache, then loaded back through this registry.
  const convert = await optionalImport('@llmr/loader-convert');
  if (convert?.createConvertLoader) {
    const createConvertLoader = convert.createConvertLoader as (settings: {
      registry: Registry;
    }) => LoaderV1;
    registry.registerLoader(createConvertLoader({ registry }));
  }
  const onnx = await optionalImport('@llmr/loader-onnx');
  if (onnx?.createOnnxLoader) {
    const base = (onnx.createOnnxLoader as (defaults: Record<string, unknown>) => LoaderV1)({
      engines: [...registry.engines],
    });
    registry.registerLoader({
      ...base,
      canLoad: (source) => base.canLoad(source),
      doLoad(source, options = {}) {
        const name = options.engineName;
        if (typeof name !== 'string') return base.doLoad(source, options);
        const engine = registry.engines.find(
          (candidate) =>
            candidate.name === name ||
            candidate.name === `${name}` ||
            candidate.name.endsWith(`-${name}`) ||
            candidate.name.startsWith(`${name}`),
        );
        if (!engine) {
          throw new InvalidArgumentError({
            argument: '--engine',
            value: name,
            message: `No engine "${name}" is installed; available: ${registry.engines.map((candidate) => candidate.name).join(', ') || 'none (install @llmr/engine-node)'}.`,
          });
        }
        return base.doLoad(source, { ...options, engine });
      },
    });
  }
  // TF.js folders (model.json + tokenizer.json): `--engine wasm` picks TF.js's wasm backend.
  const tfjs = await optionalImport('@llmr/loader-tfjs');
  if (tfjs?.tfjsLoader) registry.registerLoader(tfjs.tfjsLoader as LoaderV1);
  const hf = await optionalImport('@llmr/loader-hf');
  // The hf loader downloads, then hands the files back to this registry's format loaders.
  if (hf?.createHfLoader) {
    const createHfLoader = hf.createHfLoader as (settings: { registry: Registry }) => LoaderV1;
    registry.registerLoader(createHfLoader({ registry }));
  }
  return registry;
}
