/**
 * One OpenAI generation request (chat or completion), whichever transport carried it:
 * its call options, its response id and echo prefix, and its non-streaming response.
 */
import { randomUUID } from 'node:crypto';
import type { ModelV1CallOptions, ModelV1GenerateResult } from '@llmr/core';
import type { ChunkMeta, OpenAIRoute } from './chunks';
import {
  chatCallOptions,
  chatCompletionResponse,
  completionCallOptions,
  completionResponse,
} from './convert';
import type { ChatCompletionBody, CompletionBody } from './schemas';

export type OpenAIGenerationBody = ChatCompletionBody | CompletionBody;

export function openAICallOptions(
  route: OpenAIRoute,
  body: OpenAIGenerationBody,
  signal: AbortSignal,
): ModelV1CallOptions {
  return route === 'chat'
    ? chatCallOptions(body as ChatCompletionBody, signal)
    : completionCallOptions(body as CompletionBody, signal);
}

export function openAIChunkMeta(
  route: OpenAIRoute,
  body: OpenAIGenerationBody,
  model: string,
  callOptions: ModelV1CallOptions,
): ChunkMeta {
  return {
    id: `${route === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    created: Math.floor(Date.now() / 1000),
    route,
    model,
    includeUsage: body.stream_options?.include_usage === true,
    prefix:
      route === 'completion' && (body as CompletionBody).echo
        ? ((callOptions.prompt as string) ?? '')
        : '',
  };
}

export function openAIResponse(meta: ChunkMeta, result: ModelV1GenerateResult) {
  return meta.route === 'chat'
    ? chatCompletionResponse(meta.id, meta.created, meta.model, result)
    : completionResponse(meta.id, meta.created, meta.model, result, meta.prefix);
}
