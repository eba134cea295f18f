/**
 * A ModelV1 with `doEmbed` over an encoder graph (inputs `input_ids`, `attention_mask`,
 * optional `token_type_ids`; output `last_hidden_state` [batch, sequence, hidden]). Pooling
 * follows the sentence-transformers folder when it has one (`1_Pooling/config.json`: mean or
 * CLS token; `modules.json` listing Normalize); otherwise mean pooling, L2-normalized.
 */
import {
  InvalidArgumentError,
  ModelDisposedError,
  type ModelV1,
  type ModelV1EmbedResult,
  throwIfAborted,
  UnsupportedFunctionalityError,
} from '@llmr/core';
import type { Tokenizer } from '@llmr/tokenizer';
import type { TfjsSession } from './tfjs-session';

export interface TfjsEmbeddingSettings {
  id: string;
  config: Record<string, unknown>;
  tokenizer: Tokenizer;
  session: TfjsSession;
  /** sentence-transformers' 1_Pooling/config.json. */
  pooling?: Record<string, unknown>;
  /** L2-normalize each embedding. Default true. */
  normalize?: boolean;
}

const int64 = (values: readonly number[]) => BigInt64Array.from(values, (value) => BigInt(value));

export function createTfjsEmbeddingModel(settings: TfjsEmbeddingSettings): ModelV1 {
  const { tokenizer, session, config } = settings;
  const contextLength =
    typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : 512;
  const cls = settings.pooling?.pooling_mode_cls_token === true;
  const normalize = settings.normalize ?? true;
  let disposed = false;
  const unsupported = (functionality: string) =>
    new UnsupportedFunctionalityError({
      functionality,
      message: `${settings.id} is an embeddings model (a TF.js encoder); it does not generate text.`,
    });

  const embedOne = async (text: string, abortSignal?: AbortSignal) => {
    if (typeof text !== 'string' || text.length === 0)
      throw new InvalidArgumentError({
        argument: 'values',
        message: 'An embedding input is empty; pass non-empty text.',
      });
    const tokens = tokenizer.encode(text);
    if (tokens.length > contextLength)
      throw new InvalidArgumentError({
        argument: 'values',
        message: `An embedding input is ${tokens.length} tokens, over the model's ${contextLength}; shorten it.`,
      });
    const dims = [1, tokens.length];
    const feeds = {
      input_ids: { type: 'int64' as const, dims, data: int64(tokens) },
      attention_mask: { type: 'int64' as const, dims, data: int64(tokens.map(() => 1)) },
      ...(session.inputNames.includes('token_type_ids')
        ? {
            token_type_ids: {
              type: 'int64' as const,
              dims,
              data: int64(tokens.map(() => 0)),
            },
          }
        : {}),
    };
    const outputs = await session.run(feeds, { abortSignal });
    const hidden = outputs.last_hidden_state!;
    const width = hidden.dims[2]!;
    const data = hidden.data as Float32Array;
    const vector = new Float64Array(width);
    if (cls) for (let index = 0; index < width; index++) vector[index] = data[index]!;
    else {
      for (let position = 0; position < tokens.length; position++)
        for (let index = 0; index < width; index++)
          vector[index]! += data[position * width + index]!;
      for (let index = 0; index < width; index++) vector[index]! /= tokens.length;
    }
    if (normalize) {
      const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
      for (let index = 0; index < width; index++) vector[index]! /= norm;
    }
    return { embedding: Array.from(vector), tokens: tokens.length };
  };

  return {
    specificationVersion: 'v1',
    info: {
      id: settings.id,
      format: 'tfjs',
      ...(typeof config.model_type === 'string' ? { architecture: config.model_type } : {}),
      contextLength,
      capabilities: ['embeddings'],
    },
    async doGenerate() {
      throw unsupported('text generation');
    },
    async doStream() {
      throw unsupported('text generation');
    },
    async doEmbed(options): Promise<ModelV1EmbedResult> {
      if (disposed) throw new ModelDisposedError({ modelId: settings.id });
      const embeddings: number[][] = [];
      let inputTokens = 0;
      for (const value of options.values) {
        throwIfAborted(options.abortSignal);
        const { embedding, tokens } = await embedOne(value, options.abortSignal);
        embeddings.push(embedding);
        inputTokens += tokens;
      }
      return { embeddings, usage: { inputTokens } };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
