/**
 * Node: a Hugging Face model directory — config.json, generation_config.json,
 * tokenizer.json, tokenizer_config.json and model.safetensors (or a sharded index) —
 * opened for lazy reads. File access is a dynamic import so other runtimes never see it.
 */
import { LoadError } from '@llmr/core';
import { openSafetensorsCheckpoint } from '@llmr/safetensors';
import { loadTokenizer, type Tokenizer } from '@llmr/tokenizer';
import { type DecoderConfig, decoderConfigFromHf } from './decoder-config';
import { safetensorsTensorSource, type TensorSource } from './tensor-source';

export interface HfDirectory {
  config: DecoderConfig;
  tokenizer: Tokenizer;
  tokenizerJson: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  eos: number[];
  parameterCount: number;
  tensors: TensorSource;
}

const MAX_JSON_BYTES = 64 * 1024 * 1024;

export async function loadHfDirectory(
  directory: string,
  options: { chatTemplate?: string } = {},
): Promise<HfDirectory> {
  const fs = await import('node:fs/promises');
  const { join } = await import('node:path');
  const readJson = async (name: string, required: boolean) => {
    const path = join(directory, name);
    let text: string;
    try {
      const stats = await fs.stat(path);
      if (stats.size > MAX_JSON_BYTES)
        throw new LoadError({
          source: path,
          code: 'runtime-simple-bad-file',
          message: `${name} is ${stats.size} bytes; more than ${MAX_JSON_BYTES} is not a config file.`,
        });
      text = await fs.readFile(path, 'utf8');
    } catch (error) {
      if (!required && (error as { code?: string }).code === 'ENOENT') return undefined;
      if (LoadError.isInstance(error)) throw error;
      throw new LoadError({
        source: path,
        code: 'runtime-simple-bad-file',
        message: `Cannot read ${name} in "${directory}": ${(error as Error).message}. A Hugging Face model directory needs config.json, tokenizer.json and *.safetensors.`,
        cause: error,
      });
    }
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new LoadError({
        source: path,
        code: 'runtime-simple-bad-file',
        message: `${name} in "${directory}" is not valid JSON: ${(error as Error).message}`,
        cause: error,
      });
    }
  };
  const configJson = (await readJson('config.json', true))!;
  const config = decoderConfigFromHf(configJson, directory);
  const tokenizerJson = (await readJson('tokenizer.json', true))!;
  const tokenizerConfig = await readJson('tokenizer_config.json', false);
  const generationConfig = await readJson('generation_config.json', false);
  const tokenizer = loadTokenizer(
    tokenizerJson,
    tokenizerConfig as Parameters<typeof loadTokenizer>[1],
    options.chatTemplate ? { chatTemplate: options.chatTemplate } : {},
  );
  const eos = new Set<number>();
  for (const source of [generationConfig?.eos_token_id, configJson.eos_token_id])
    for (const id of Array.isArray(source) ? source : [source])
      if (typeof id === 'number') eos.add(id);
  const checkpoint = await openSafetensorsCheckpoint(directory);
  let parameterCount = 0;
  for (const tensor of checkpoint.tensors) parameterCount += tensor.elementCount;
  return {
    config,
    tokenizer,
    tokenizerJson,
    ...(generationConfig ? { generationConfig } : {}),
    eos: [...eos],
    parameterCount,
    tensors: safetensorsTensorSource(checkpoint),
  };
}
