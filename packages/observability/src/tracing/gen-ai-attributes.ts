/**
 * Attribute names from the OpenTelemetry GenAI semantic conventions, plus the few llmr
 * adds where the conventions have no name yet (routing decisions, attempts, leases). Kept
 * as constants so a typo is a compile error, not a silently missing attribute.
 */
export const GenAiAttribute = {
  operationName: 'gen_ai.operation.name',
  system: 'gen_ai.system',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestTopK: 'gen_ai.request.top_k',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestSeed: 'gen_ai.request.seed',
  requestStopSequences: 'gen_ai.request.stop_sequences',
  requestFrequencyPenalty: 'gen_ai.request.frequency_penalty',
  requestPresencePenalty: 'gen_ai.request.presence_penalty',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  tokenType: 'gen_ai.token.type',
  errorType: 'error.type',
} as const;

export const LlmrAttribute = {
  routingStrategy: 'llmr.routing.strategy',
  routingCandidates: 'llmr.routing.candidates',
  routingScores: 'llmr.routing.scores',
  routingSelected: 'llmr.routing.selected',
  attemptNumber: 'llmr.attempt.number',
  attemptKind: 'llmr.attempt.kind',
  leaseLoaded: 'llmr.model.loaded_now',
  leaseWaitMs: 'llmr.model.lease_wait_ms',
  timeToFirstToken: 'llmr.gen_ai.time_to_first_token',
  tenant: 'llmr.tenant',
  route: 'llmr.route',
  experimentId: 'llmr.experiment.id',
  experimentVariant: 'llmr.experiment.variant',
  stream: 'llmr.stream',
} as const;

/** `gen_ai.operation.name` values the conventions define and llmr uses. */
export type GenAiOperation = 'chat' | 'text_completion' | 'embeddings';
