/** llmr results -> llmr.v1 response messages, and the routing decision as metadata. */
import { Metadata } from '@grpc/grpc-js';
import type { ModelV1FinishReason, ModelV1Usage } from '@llmr/core';
import { type RoutingInfo, routingSummary } from '@llmr/server';
import type { FinishReasonName, RoutingMessage, UsageMessage } from './grpc-messages';

const FINISH_REASONS: Record<ModelV1FinishReason, FinishReasonName> = {
  stop: 'FINISH_REASON_STOP',
  length: 'FINISH_REASON_LENGTH',
  'tool-calls': 'FINISH_REASON_TOOL_CALLS',
  'content-filter': 'FINISH_REASON_CONTENT_FILTER',
  error: 'FINISH_REASON_ERROR',
  abort: 'FINISH_REASON_OTHER',
};

export function finishReason(reason: ModelV1FinishReason): FinishReasonName {
  return FINISH_REASONS[reason] ?? 'FINISH_REASON_OTHER';
}

export function usageMessage(usage: ModelV1Usage | undefined): UsageMessage | null {
  if (!usage) return null;
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

export function routingMessage(routing: RoutingInfo): RoutingMessage {
  const summary = routingSummary(routing);
  return {
    model: summary.model,
    strategy: summary.strategy ?? '',
    attempts: summary.attempts,
    cached: summary.cached === true,
  };
}

/** The same facts REST sends as x-llmr-* headers, as initial metadata. */
export function routingMetadata(routing: RoutingInfo, requestId: string): Metadata {
  const summary = routingSummary(routing);
  const metadata = new Metadata();
  metadata.set('x-request-id', requestId);
  metadata.set('x-llmr-model', summary.model);
  if (summary.strategy) metadata.set('x-llmr-strategy', summary.strategy);
  metadata.set('x-llmr-attempts', String(summary.attempts));
  if (summary.cached) metadata.set('x-llmr-cache', 'hit');
  return metadata;
}
