/**
 * @llmr/observability — OpenTelemetry tracing with the GenAI conventions, the GenAI
 * metrics, SLOs with multi-window burn-rate alerts, A/B experiments and quality feedback.
 */
export { ObservabilityError } from './errors';
export { applyVariant } from './experiments/apply-variant';
export { assignmentPoint, assignVariant } from './experiments/assign-variant';
export type {
  ExperimentDefinition,
  ExperimentGuardrails,
  ExperimentMetric,
  ExperimentVariant,
  VariantParameters,
} from './experiments/experiment-definition';
export {
  type Comparison,
  ExperimentManager,
  type ExperimentManagerOptions,
  type ExperimentOutcome,
  type ExperimentReport,
  type ExperimentStatus,
  type MetricSummary,
  type VariantReport,
} from './experiments/experiment-manager';
export {
  type ExperimentExchange,
  type ExperimentSnapshot,
  type ExperimentStatusRecord,
  type ExperimentStore,
  MemoryExperimentStore,
  type VariantCounters,
} from './experiments/experiment-store';
export {
  RedisExperimentStore,
  type RedisExperimentStoreOptions,
} from './experiments/redis-experiment-store';
export {
  normalCdf,
  normalQuantile,
  studentTCdf,
  studentTQuantile,
  twoProportionZTest,
  welchTTest,
} from './experiments/statistics';
export { applyVariantToBody } from './fastify/apply-variant-to-body';
export {
  type ObservabilityPluginOptions,
  observabilityPlugin,
} from './fastify/observability-plugin';
export {
  type ObservabilityRoutesOptions,
  registerObservabilityRoutes,
} from './fastify/observability-routes';
export { DEFAULT_SLOS, type ObserveServerOptions, observeServer } from './fastify/observe-server';
export { markFirstToken, type ObservedRequest } from './fastify/request-state';
export {
  createWebSocketObserver,
  setWebSocketObserver,
  WebSocketAttribute,
  type WebSocketMessageInfoLike,
  type WebSocketMessageOutcomeLike,
  type WebSocketObserverLike,
} from './fastify/websocket-spans';
export {
  type FeedbackEntry,
  type FeedbackInput,
  FeedbackRecorder,
  type FeedbackRecorderOptions,
  type ResponseRecord,
} from './feedback/feedback-recorder';
export {
  type JudgeRequest,
  type JudgeVerdict,
  LlmJudge,
  type LlmJudgeOptions,
  parseJudgeScore,
} from './feedback/llm-judge';
export {
  QualityScores,
  type QualityScoresOptions,
  type QualitySnapshot,
} from './feedback/quality-scores';
export {
  MemoryQualityStore,
  type QualityRating,
  type QualityRatingsPage,
  type QualityStore,
} from './feedback/quality-store';
export { RedisQualityStore, type RedisQualityStoreOptions } from './feedback/redis-quality-store';
export {
  RedisResponseRegistry,
  type RedisResponseRegistryOptions,
} from './feedback/redis-response-registry';
export {
  MemoryResponseRegistry,
  type MemoryResponseRegistryOptions,
  type ResponseRegistry,
} from './feedback/response-registry';
export type { RegistrableGenAiMetrics } from './metrics/gen-ai-metrics';
export {
  createGenAiMetrics,
  type GenAiMetrics,
  type GenAiObservation,
} from './metrics/gen-ai-metrics';
export {
  type AlertLogger,
  type AlertSink,
  createLogAlertSink,
  createWebhookAlertSink,
  type SloAlert,
  type WebhookAlertSinkOptions,
} from './slo/alert-sinks';
export { latencyQuantile } from './slo/latency-histogram';
export {
  type RedisCommandClient,
  RedisSloStore,
  type RedisSloStoreOptions,
} from './slo/redis-slo-store';
export {
  type BurnRateRule,
  DEFAULT_BURN_RATE_RULES,
  DEFAULT_SLO_WINDOW_MS,
  type SloDefinition,
  type SloDimension,
  type SloObjective,
} from './slo/slo-definition';
export {
  type BurnRateStatus,
  type SloEvent,
  SloMonitor,
  type SloMonitorOptions,
  type SloSeriesReport,
} from './slo/slo-monitor';
export { MemorySloStore, type SloBucketUpdate, type SloStore } from './slo/slo-store';
export { GenAiAttribute, type GenAiOperation, LlmrAttribute } from './tracing/gen-ai-attributes';
export {
  createGrpcCallObserver,
  type GrpcCallInfoLike,
  type GrpcCallObserverLike,
  type GrpcCallOutcomeLike,
  setGrpcCallObserver,
} from './tracing/grpc-call-observer';
export {
  OtlpSpanSerializer,
  type SerializableSpan,
  serializeSpans,
} from './tracing/otlp-span-serializer';
export {
  type RouterEventLike,
  type RouterEventSource,
  traceRouterEvents,
} from './tracing/router-tracer';
export {
  setupTracing,
  type TracingConfig,
  type TracingHandle,
  tracingWantedByEnvironment,
} from './tracing/setup-tracing';
export {
  type AttemptKind,
  createTracedFetch,
  extractTraceContext,
  injectTraceHeaders,
  NOOP_SPAN,
  type RoutingDecision,
  recordSpanError,
  traceAccessCheck,
  traceAttempt,
  traceModelLease,
  traceRoutingDecision,
  type WithSpanOptions,
  withSpan,
} from './tracing/spans';
export { traceLoader } from './tracing/traced-loader';
export { type TraceModelOptions, traceModel } from './tracing/traced-model';
export {
  isStepTracingEnabled,
  isTracingEnabled,
  onTracingChange,
  setTracingDetail,
  setTracingEnabled,
  type TracingDetail,
  tracingDetail,
} from './tracing/tracing-state';
