/**
 * The OpenTelemetry GenAI metrics, as Prometheus series beside the server's own. Names
 * follow the OTel-to-Prometheus mapping (dots become underscores, seconds get a `_seconds`
 * suffix), and buckets are the ones the conventions advise, so dashboards built for the
 * conventions work unchanged.
 */
import { Histogram, type Registry } from 'prom-client';
import type { GenAiOperation } from '../tracing/gen-ai-attributes';

const LABELS = [
  'gen_ai_operation_name',
  'gen_ai_request_model',
  'gen_ai_response_model',
  'error_type',
] as const;

export interface GenAiObservation {
  operation: GenAiOperation;
  requestModel: string;
  responseModel?: string;
  /** Set when the call failed: an error code or class name. */
  errorType?: string;
  durationSeconds: number;
  timeToFirstTokenSeconds?: number;
  inputTokens?: number;
  outputTokens?: number;
}

export interface GenAiMetrics {
  observe(observation: GenAiObservation): void;
}

export interface RegistrableGenAiMetrics extends GenAiMetrics {
  /** Publishes the series in a registry (e.g. a server's, created after the models). */
  registerIn(registry: Registry): void;
}

/** The GenAI histograms, in `registry` when given (or later through `registerIn`). */
export function createGenAiMetrics(registry?: Registry): RegistrableGenAiMetrics {
  const registers = registry ? [registry] : [];
  const tokenUsage = new Histogram({
    name: 'gen_ai_client_token_usage',
    help: 'GenAI gen_ai.client.token.usage: input and output tokens per call.',
    labelNames: [...LABELS, 'gen_ai_token_type'],
    buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304],
    registers,
  });
  const timeToFirstToken = new Histogram({
    name: 'gen_ai_server_time_to_first_token_seconds',
    help: 'GenAI gen_ai.server.time_to_first_token: time to the first generated token.',
    labelNames: LABELS,
    buckets: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    registers,
  });
  const timePerOutputToken = new Histogram({
    name: 'gen_ai_server_time_per_output_token_seconds',
    help: 'GenAI gen_ai.server.time_per_output_token: decode time per token after the first.',
    labelNames: LABELS,
    buckets: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5],
    registers,
  });
  const requestDuration = new Histogram({
    name: 'gen_ai_server_request_duration_seconds',
    help: 'GenAI gen_ai.server.request.duration: time to the last token.',
    labelNames: LABELS,
    buckets: [
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ],
    registers,
  });
  return {
    registerIn(target) {
      for (const metric of [tokenUsage, timeToFirstToken, timePerOutputToken, requestDuration])
        target.registerMetric(metric);
    },
    observe(observation) {
      const labels = {
        gen_ai_operation_name: observation.operation,
        gen_ai_request_model: observation.requestModel,
        gen_ai_response_model: observation.responseModel ?? observation.requestModel,
        error_type: observation.errorType ?? '',
      };
      requestDuration.observe(labels, observation.durationSeconds);
      if (observation.timeToFirstTokenSeconds !== undefined) {
        timeToFirstToken.observe(labels, observation.timeToFirstTokenSeconds);
        const decodeTokens = (observation.outputTokens ?? 0) - 1;
        if (decodeTokens > 0) {
          timePerOutputToken.observe(
            labels,
            (observation.durationSeconds - observation.timeToFirstTokenSeconds) / decodeTokens,
          );
        }
      }
      if (observation.inputTokens !== undefined)
        tokenUsage.observe({ ...labels, gen_ai_token_type: 'input' }, observation.inputTokens);
      if (observation.outputTokens !== undefined)
        tokenUsage.observe({ ...labels, gen_ai_token_type: 'output' }, observation.outputTokens);
    },
  };
}
