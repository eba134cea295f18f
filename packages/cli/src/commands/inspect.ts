/**
 * `llmr inspect <path> [--json]`: what a GGUF file, a safetensors file, an ONNX model or a
 * Hugging Face directory holds, read from headers only (no weights are loaded). For sources
 * that run by converting on first use (HF safetensors/PyTorch directories, llama2.c files) it
 * names the cached GGUF that serves them — or, with `--engine`, the cached ONNX directory — its
 * path, content key and whether it exists yet.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '@llmr/core';
import type { Command } from 'commander';

async function magic(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(8);
    await handle.read(buffer, 0, 8, 0);
    return buffer;
  } finally {
    await handle.close();
  }
}

async function inspectGguf(path: string) {
  const { getGgufModelInfo, ggmlTypeName, openGguf } = await import('@llmr/gguf');
  const file = await openGguf(path);
  try {
    const info = getGgufModelInfo(file);
    const types: Record<string, number> = {};
    for (const tensor of file.tensors)
      types[ggmlTypeName(tensor.type)] = (types[ggmlTypeName(tensor.type)] ?? 0) + 1;
    const metadata = Object.fromEntries(
      Object.entries(file.metadata).map(([key, value]) => [
        key,
        Array.isArray(value)
          ? `[${value.length} items]`
          : typeof value === 'bigint'
            ? value.toString()
            : value,
      ]),
    );
    const { tokenizer, ...rest } = info;
    return {
      format: 'gguf',
      version: file.version,
      ...rest,
      tokenizer: { model: tokenizer.model, pre: tokenizer.pre, tokens: tokenizer.tokens?.length },
      tensorCount: file.tensors.length,
      tensorTypes: types,
      metadata,
    };
  } finally {
    await file.close();
  }
}

async function inspectSafetensors(path: string) {
  const { openSafetensorsCheckpoint } = await import('@llmr/safetensors');
  const file = await openSafetensorsCheckpoint(path);
  try {
    const dtypes: Record<string, number> = {};
    let parameters = 0;
    for (const tensor of file.tensors) {
      dtypes[tensor.dtype] = (dtypes[tensor.dtype] ?? 0) + 1;
      parameters += tensor.elementCount;
    }
    return {
      format: 'safetensors',
      shards: file.files.length,
      tensorCount: file.tensors.length,
      parameterCount: parameters,
      dtypes,
      metadata: file.metadata,
    };
  } finally {
    await file.close();
  }
}

async function inspectOnnx(path: string) {
  const size = (await stat(path)).size;
  try {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(path);
    const result = {
      format: 'onnx',
      bytes: size,
      inputs: session.inputNames,
      outputs: session.outputNames,
    };
    await session.release();
    return result;
  } catch (error) {
    return {
      format: 'onnx',
      bytes: size,
      note: `install onnxruntime-node to list inputs and outputs (${(error as Error).message.split('\n')[0]})`,
    };
  }
}

async function inspectHfDirectory(dir: string) {
  const entries = await readdir(dir);
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const weights = entries.some(
    (entry) => entry.endsWith('.safetensors') || entry === 'model.safetensors.index.json',
  )
    ? await inspectSafetensors(dir)
    : undefined;
  const onnx = entries.includes('onnx')
    ? (await readdir(join(dir, 'onnx'))).filter((entry) => entry.endsWith('.onnx'))
    : [];
  return {
    format: 'hf-directory',
    architectures: config.architectures,
    modelType: config.model_type,
    hiddenSize: config.hidden_size,
    layers: config.num_hidden_layers,
    heads: config.num_attention_heads,
    kvHeads: config.num_key_value_heads,
    vocabSize: config.vocab_size,
    contextLength: config.max_position_embeddings,
    files: entries,
    ...(weights ? { weights } : {}),
    ...(onnx.length ? { onnx } : {}),
  };
}

export interface InspectOptions {
  /**
   * The type a converted source is (or would be) cached in; `llmr run` uses f16 for GGUF and
   * f32 for ONNX.
   */
  dtype?: string;
  /** The engine `llmr run --engine` would name: the ONNX conversion serves it, not the GGUF. */
  engine?: string;
}

/** The cached conversion that serves `path`, when the convert loader would load it. */
async function convertedArtefact(path: string, options: InspectOptions) {
  const module = await import('@llmr/loader-convert').catch(() => undefined);
  if (!module) return undefined;
  const loader = module.createConvertLoader();
  const verdict = await loader.canLoad(path);
  if ((typeof verdict === 'number' ? verdict : verdict.confidence) <= 0) return undefined;
  const target = options.engine ? 'onnx' : 'gguf';
  const dtype = options.dtype ?? (target === 'onnx' ? 'f32' : 'f16');
  const located = await loader.locate(path, { target, dtype: dtype as never });
  return { path: located.path, key: located.key, cached: located.cached, target, dtype };
}

export async function inspect(
  path: string,
  options: InspectOptions = {},
): Promise<Record<string, unknown>> {
  const info = await stat(path).catch(() => {
    throw new InvalidArgumentError({
      argument: 'path',
      value: path,
      message: `Cannot open ${path}: no such file or directory.`,
    });
  });
  if (info.isDirectory()) {
    const converted = await convertedArtefact(path, options);
    return { ...(await inspectHfDirectory(path)), ...(converted ? { converted } : {}) };
  }
  const head = await magic(path);
  if (head.subarray(0, 4).toString('latin1') === 'GGUF') return inspectGguf(path);
  if (path.endsWith('.onnx')) return inspectOnnx(path);
  if (path.endsWith('.safetensors') || path.endsWith('.safetensors.index.json'))
    return inspectSafetensors(path);
  const converted = await convertedArtefact(path, options);
  if (converted) return { format: 'llama2c', bytes: info.size, converted };
  throw new InvalidArgumentError({
    argument: 'path',
    value: path,
    message: `${path} is not a GGUF, safetensors, ONNX or llama2.c file, nor a Hugging Face directory.`,
  });
}

function printTree(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return `${String(value)}\n`;
  if (Array.isArray(value)) return `${value.map(String).join(', ')}\n`;
  return `\n${Object.entries(value)
    .map(
      ([key, entry]) =>
        `${indent}  ${key}: ${printTree(entry, `${indent}  `).replace(/^\n/, '\n')}`,
    )
    .join('')}`;
}

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description(
      'Show what a GGUF, safetensors, ONNX or llama2.c file, or a Hugging Face directory, holds (headers only), and which cached GGUF (or ONNX directory, with --engine) serves a source converted on first use.',
    )
    .argument('<path>', 'file or directory')
    .option('--json', 'print JSON')
    .option(
      '--dtype <dtype>',
      'for sources converted on first use: the type whose cached conversion to name (default f16 for GGUF, f32 for ONNX)',
    )
    .option(
      '--engine <name>',
      'for sources converted on first use: name the ONNX conversion `llmr run --engine <name>` uses',
    )
    .action(async (path: string, options: { json?: boolean; dtype?: string; engine?: string }) => {
      const result = await inspect(path, { dtype: options.dtype, engine: options.engine });
      if (options.json)
        process.stdout.write(
          `${JSON.stringify(result, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}\n`,
        );
      else process.stdout.write(`${path}${printTree(result)}`);
    });
}
