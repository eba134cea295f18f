/**
 * Hugging Face (config.json + tokenizer + safetensors) -> an ONNX model directory in the
 * transformers.js layout: config.json, generation_config.json, tokenizer.json,
 * tokenizer_config.json and onnx/model.onnx (+ onnx/model.onnx_data when the weights do
 * not fit protobuf's 2 GiB message limit).
 */
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, LlmrError } from '@llmr/core';
import { type HfDirectory, openHfDirectory } from '../hf-directory';
import {
  buildLlamaDecoderGraph,
  type LlamaDecoderOptions,
  ONNX_DTYPES,
  type OnnxDtype,
} from './llama-decoder-graph';
import type { OnnxExternalLocation } from './onnx-graph-builder';

/** protobuf refuses messages of 2 GiB or more; stay clear of it with room for the graph. */
export const ONNX_PROTOBUF_LIMIT = 2 ** 31 - 1;
const EMBEDDED_WEIGHT_LIMIT = 2 ** 31 - 64 * 2 ** 20;

export interface ConvertToOnnxOptions {
  /** Hugging Face model directory. */
  input: string;
  /** Output directory (created). */
  output: string;
  dtype?: OnnxDtype;
  blockSize?: number;
  quantFormat?: LlamaDecoderOptions['quantFormat'];
  /** MatMulNBits' accuracy_level for q8/q4 (see LlamaDecoderOptions.accuracyLevel). Default 4. */
  accuracyLevel?: LlamaDecoderOptions['accuracyLevel'];
  /** KV cache and logits element type (see LlamaDecoderOptions.ioDtype). */
  ioDtype?: LlamaDecoderOptions['ioDtype'];
  /**
   * `auto` (default): weights go to onnx/model.onnx_data only when the model would pass
   * protobuf's 2 GiB limit; `always`; `never` (a model that large then fails clearly).
   */
  externalData?: 'auto' | 'always' | 'never';
  /** Name of the model file inside onnx/. Default `model.onnx`. */
  fileName?: string;
  onProgress?: (progress: { stage: 'tensors' | 'write'; tensor?: string }) => void;
  abortSignal?: AbortSignal;
}

export interface ConvertToOnnxResult {
  /** Path of the written .onnx file. */
  modelPath: string;
  /** Path of the external data file, when one was written. */
  externalDataPath?: string;
  bytes: number;
  dtype: OnnxDtype;
  layers: number;
  fallbacks: { tensor: string; stored: string; reason: string }[];
}

export async function convertHfToOnnx(options: ConvertToOnnxOptions): Promise<ConvertToOnnxResult> {
  checkDtype(options.dtype);
  const hf = await openHfDirectory(options.input);
  try {
    return await writeHfModelAsOnnx(hf, options);
  } finally {
    await hf.tensors.close();
  }
}

function checkDtype(dtype: string | undefined) {
  if (dtype !== undefined && !ONNX_DTYPES.includes(dtype as OnnxDtype)) {
    throw new InvalidArgumentError({
      argument: 'dtype',
      value: dtype,
      message: `dtype must be one of ${ONNX_DTYPES.join(', ')}; got "${dtype}".`,
    });
  }
}

function bytesPerWeight(dtype: OnnxDtype): number {
  return { f32: 4, f16: 2, q8: 1.1, q4: 0.6 }[dtype];
}

/** The conversion over an opened model (files on disk, or tensors in memory for tests). */
export async function writeHfModelAsOnnx(
  hf: HfDirectory,
  options: Omit<ConvertToOnnxOptions, 'input'>,
): Promise<ConvertToOnnxResult> {
  checkDtype(options.dtype);
  const dtype = options.dtype ?? 'f32';
  const fileName = options.fileName ?? 'model.onnx';
  const onnxDir = join(options.output, 'onnx');
  await mkdir(onnxDir, { recursive: true });
  const modelPath = join(onnxDir, fileName);
  const dataName = `${fileName}_data`;
  const dataPath = join(onnxDir, dataName);

  const estimate = hf.tensors.names.reduce(
    (sum, name) => sum + hf.tensors.shape(name).reduce((a, b) => a * b, 1),
    0,
  );
  const mode = options.externalData ?? 'auto';
  const external =
    mode === 'always' ||
    (mode === 'auto' && estimate * bytesPerWeight(dtype) > EMBEDDED_WEIGHT_LIMIT);

  let dataFile: Awaited<ReturnType<typeof open>> | undefined;
  let dataOffset = 0;
  let embedded = 0;
  if (external) {
    await rm(dataPath, { force: true });
    dataFile = await open(dataPath, 'w');
  }
  try {
    const graph = await buildLlamaDecoderGraph(hf, {
      dtype,
      blockSize: options.blockSize,
      quantFormat: options.quantFormat,
      accuracyLevel: options.accuracyLevel,
      ioDtype: options.ioDtype,
      abortSignal: options.abortSignal,
      onTensor: (tensor) => options.onProgress?.({ stage: 'tensors', tensor }),
      store: async (_name, bytes) => {
        // Tiny tensors stay inline; ONNX Runtime reads either.
        if (!dataFile || bytes.length < 1024) {
          embedded += bytes.length;
          if (embedded > EMBEDDED_WEIGHT_LIMIT) {
            throw new LlmrError({
              code: 'onnx-too-large',
              message: `The ONNX weights pass protobuf's 2 GiB limit for one file; convert with externalData: 'auto' or 'always' to write ${dataName} beside the model.`,
            });
          }
          return bytes;
        }
        // Aligned like onnx's own external-data writer, so runtimes may map it.
        const aligned = Math.ceil(dataOffset / 4096) * 4096;
        await dataFile.write(bytes, 0, bytes.length, aligned);
        dataOffset = aligned + bytes.length;
        const location: OnnxExternalLocation = {
          location: dataName,
          offset: aligned,
          length: bytes.length,
        };
        return location;
      },
    });
    options.onProgress?.({ stage: 'write' });
    const proto = graph.builder.toModelProto({
      producerName: 'llmr',
      producerVersion: '0.1.0',
      metadata: { 'llmr.dtype': dtype, 'llmr.layout': 'optimum-decoder-with-past' },
    });
    if (proto.length > ONNX_PROTOBUF_LIMIT) {
      throw new LlmrError({
        code: 'onnx-too-large',
        message: `The ONNX model is ${proto.length} bytes, past protobuf's 2 GiB limit; convert with externalData: 'always'.`,
      });
    }
    const file = await open(modelPath, 'w');
    try {
      for (const chunk of proto.chunks) await file.write(chunk);
    } finally {
      await file.close();
    }

    const json = (name: string, value: unknown) =>
      writeFile(join(options.output, name), `${JSON.stringify(value, null, 2)}\n`);
    await json('config.json', {
      ...hf.config,
      // Tells transformers.js (and llmr) which precision the onnx/ folder holds.
      'transformers.js_config': {
        dtype: dtype === 'f32' ? 'fp32' : dtype === 'f16' ? 'fp16' : dtype,
      },
    });
    if (hf.generationConfig) await json('generation_config.json', hf.generationConfig);
    if (hf.tokenizer) await json('tokenizer.json', hf.tokenizer);
    if (hf.tokenizerConfig) await json('tokenizer_config.json', hf.tokenizerConfig);
    return {
      modelPath,
      ...(external ? { externalDataPath: dataPath } : {}),
      bytes: proto.length + dataOffset,
      dtype,
      layers: graph.layers,
      fallbacks: graph.fallbacks,
    };
  } finally {
    await dataFile?.close();
  }
}

/** The decoder as one in-memory .onnx buffer (tests, browsers, generated models). */
export async function hfModelToOnnxBytes(
  hf: HfDirectory,
  options: Omit<LlamaDecoderOptions, 'store'> = {},
): Promise<Uint8Array> {
  checkDtype(options.dtype);
  const graph = await buildLlamaDecoderGraph(hf, options);
  return graph.builder.toBytes({ producerName: 'llmr' });
}
