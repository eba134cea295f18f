/**
 * OpenAI's embeddings response from a model's vectors: `dimensions` cuts each vector and
 * renormalises it to unit length (as OpenAI's shortened embeddings are), `encoding_format:
 * base64` packs float32s.
 */
import { LlmrError, type ModelV1EmbedResult } from '@llmr/core';
import type { EmbeddingBody } from './schemas';

export function openAIEmbeddings(body: EmbeddingBody, result: ModelV1EmbedResult, modelId: string) {
  const data = result.embeddings.map((vector, index) => {
    let embedding = vector;
    if (body.dimensions !== undefined) {
      if (body.dimensions > vector.length) {
        throw new LlmrError({
          code: 'unsupported-functionality',
          message: `dimensions must be at most ${vector.length} for model \`${modelId}\`; got ${body.dimensions}.`,
        });
      }
      const cut = vector.slice(0, body.dimensions);
      const norm = Math.hypot(...cut) || 1;
      embedding = cut.map((component) => component / norm);
    }
    return {
      object: 'embedding',
      index,
      embedding:
        body.encoding_format === 'base64'
          ? Buffer.from(Float32Array.from(embedding).buffer).toString('base64')
          : embedding,
    };
  });
  return {
    object: 'list',
    data,
    model: modelId,
    usage: {
      prompt_tokens: result.usage.inputTokens,
      total_tokens: result.usage.inputTokens,
    },
  };
}
