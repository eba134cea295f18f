/**
 * Everything wired into an llmr server in one call: router decision/attempt spans, the
 * plugin (request spans, SLOs, experiments, feedback and their routes), GenAI metrics on
 * the server's /metrics, feedback moving the router's quality scores, and SLO alerts
 * evaluated on a timer to the log and to webhooks. Stops with the server.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { ExperimentDefinition } from '../experiments/experiment-definition';
import { ExperimentManager } from '../experiments/experiment-manager';
import { FeedbackRecorder } from '../feedback/feedback-recorder';
import type { LlmJudge } from '../feedback/llm-judge';
import { QualityScores, type QualityScoresOptions } from '../feedback/quality-scores';
import type { RegistrableGenAiMetrics } from '../metrics/gen-ai-metrics';
import { type AlertSink, createLogAlertSink, createWebhookAlertSink } from '../slo/alert-sinks';
import type { BurnRateRule, SloDefinition } from '../slo/slo-definition';
import { SloMonitor } from '../slo/slo-monitor';
import type { SloStore } from '../slo/slo-store';
import { type RouterEventSource, traceRouterEvents } from '../tracing/router-tracer';
import { observabilityPlugin } from './observability-plugin';

export interface ObserveServerOptions {
  server: { app: FastifyInstance; metricsRegistry: Registry };
  router: RouterEventSource & { recordQuality(modelId: string, score: number): void };
  /** Published on the server's /metrics (its models report through it, see `traceLoader`). */
  genAiMetrics?: RegistrableGenAiMetrics;
  /** Default: availability 99.9% per route and model. */
  slos?: SloDefinition[];
  burnRateRules?: BurnRateRule[];
  sloStore?: SloStore;
  alertWebhooks?: string[];
  /** Webhook alerts that could not be delivered are appended here. */
  deadLetterPath?: string;
  experiments?: ExperimentDefinition[];
  quality?: QualityScoresOptions;
  /** Scores a sample of responses in the background (`new LlmJudge({ judge, rubric, sampleRate })`). */
  judge?: LlmJudge;
  isAdmin?: (request: FastifyRequest) => boolean;
  tenantOf?: (request: FastifyRequest) => string | undefined;
  /** How often SLO alerts are evaluated; default 30 s. */
  evaluateEveryMs?: number;
}

export const DEFAULT_SLOS: SloDefinition[] = [
  {
    name: 'availability',
    objective: { kind: 'availability', target: 0.999 },
    groupBy: ['route', 'model'],
  },
];

export async function observeServer(options: ObserveServerOptions) {
  const { app } = options.server;
  const sinks: AlertSink[] = [
    createLogAlertSink(app.log),
    ...(options.alertWebhooks ?? []).map((url) =>
      createWebhookAlertSink({
        url,
        ...(options.deadLetterPath ? { deadLetterPath: options.deadLetterPath } : {}),
      }),
    ),
  ];
  const slo = new SloMonitor({
    slos: options.slos ?? DEFAULT_SLOS,
    ...(options.burnRateRules ? { rules: options.burnRateRules } : {}),
    ...(options.sloStore ? { store: options.sloStore } : {}),
    sinks,
    onSinkError: (error) => app.log.warn({ err: error }, 'an SLO alert sink failed'),
  });
  const experiments = new ExperimentManager({
    experiments: options.experiments ?? [],
    onStop: (id, reason) => app.log.warn({ experiment: id, reason }, `experiment ${id} stopped`),
  });
  const quality = new QualityScores(options.quality);
  const feedback = new FeedbackRecorder({ quality, experiments });
  options.genAiMetrics?.registerIn(options.server.metricsRegistry);

  const stopTracing = traceRouterEvents(options.router);
  const stopQuality = quality.subscribe((model, score) =>
    options.router.recordQuality(model, score),
  );
  const stopEvaluating = slo.startEvaluating(options.evaluateEveryMs ?? 30_000, (error) =>
    app.log.warn({ err: error }, 'SLO evaluation failed'),
  );
  await app.register(observabilityPlugin, {
    slo,
    experiments,
    feedback,
    router: options.router,
    ...(options.judge ? { judge: options.judge } : {}),
    ...(options.isAdmin ? { isAdmin: options.isAdmin } : {}),
    ...(options.tenantOf ? { tenantOf: options.tenantOf } : {}),
  });
  app.addHook('onClose', async () => {
    stopEvaluating();
    stopQuality();
    stopTracing();
    await slo.close();
  });
  return { slo, experiments, feedback, quality };
}
