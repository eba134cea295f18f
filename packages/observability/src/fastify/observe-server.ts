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
import type { ExperimentStore } from '../experiments/experiment-store';
import { RedisExperimentStore } from '../experiments/redis-experiment-store';
import { FeedbackRecorder } from '../feedback/feedback-recorder';
import type { LlmJudge } from '../feedback/llm-judge';
import { QualityScores, type QualityScoresOptions } from '../feedback/quality-scores';
import type { QualityStore } from '../feedback/quality-store';
import { RedisQualityStore } from '../feedback/redis-quality-store';
import { RedisResponseRegistry } from '../feedback/redis-response-registry';
import type { ResponseRegistry } from '../feedback/response-registry';
import type { RegistrableGenAiMetrics } from '../metrics/gen-ai-metrics';
import { type AlertSink, createLogAlertSink, createWebhookAlertSink } from '../slo/alert-sinks';
import { RedisSloStore } from '../slo/redis-slo-store';
import type { BurnRateRule, SloDefinition } from '../slo/slo-definition';
import { SloMonitor } from '../slo/slo-monitor';
import type { SloStore } from '../slo/slo-store';
import { createGrpcCallObserver, setGrpcCallObserver } from '../tracing/grpc-call-observer';
import { type RouterEventSource, traceRouterEvents } from '../tracing/router-tracer';
import { observabilityPlugin } from './observability-plugin';

export interface ObserveServerOptions {
  /**
   * The llmr server. Its `shared` part (what `createGrpcServer(server.shared)` takes) gets
   * the gRPC call observer, so gRPC calls are traced and counted in the SLOs too.
   */
  server: { app: FastifyInstance; metricsRegistry: Registry; shared?: object };
  router: RouterEventSource & { recordQuality(modelId: string, score: number): void };
  /** Published on the server's /metrics (its models report through it, see `traceLoader`). */
  genAiMetrics?: RegistrableGenAiMetrics;
  /** Default: availability 99.9% per route and model. */
  slos?: SloDefinition[];
  burnRateRules?: BurnRateRule[];
  sloStore?: SloStore;
  /** Experiment counters and status; default in memory (this process only). */
  experimentStore?: ExperimentStore;
  /** Shares feedback ratings between replicas; default none. */
  qualityStore?: QualityStore;
  /**
   * Which request served a response id, for feedback; default in memory (this process
   * only), in Redis when `redis` is given, so feedback reaches any replica.
   */
  responseRegistry?: ResponseRegistry;
  /** How long a response can be rated, with Redis; default 7 days. */
  responseTtlSeconds?: number;
  /**
   * Redis for every store not given above (SLO buckets, experiments, quality ratings, the
   * response registry), so that replicas share them. `redis` must be installed.
   */
  redis?: { url: string; keyPrefix?: string };
  /** How often experiment and quality state is exchanged with the stores; default 1 s. */
  syncEveryMs?: number;
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
  const prefix = options.redis?.keyPrefix ?? 'llmr:';
  const redis = options.redis ? { url: options.redis.url } : undefined;
  const sloStore =
    options.sloStore ??
    (redis ? new RedisSloStore({ ...redis, keyPrefix: `${prefix}slo:` }) : undefined);
  const experimentStore =
    options.experimentStore ??
    (redis
      ? new RedisExperimentStore({ ...redis, keyPrefix: `${prefix}experiments:` })
      : undefined);
  const qualityStore =
    options.qualityStore ??
    (redis ? new RedisQualityStore({ ...redis, key: `${prefix}quality:ratings` }) : undefined);
  const responseRegistry =
    options.responseRegistry ??
    (redis
      ? new RedisResponseRegistry({
          ...redis,
          keyPrefix: `${prefix}responses:`,
          ...(options.responseTtlSeconds !== undefined
            ? { ttlSeconds: options.responseTtlSeconds }
            : {}),
          onError: (error) => app.log.warn({ err: error }, 'a response could not be registered'),
        })
      : undefined);
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
    ...(sloStore ? { store: sloStore } : {}),
    sinks,
    onSinkError: (error) => app.log.warn({ err: error }, 'an SLO alert sink failed'),
  });
  const experiments = new ExperimentManager({
    experiments: options.experiments ?? [],
    onStop: (id, reason) => app.log.warn({ experiment: id, reason }, `experiment ${id} stopped`),
    ...(experimentStore ? { store: experimentStore } : {}),
  });
  const quality = new QualityScores({
    ...options.quality,
    ...(qualityStore ? { store: qualityStore } : {}),
  });
  const feedback = new FeedbackRecorder({
    quality,
    experiments,
    ...(responseRegistry ? { responses: responseRegistry } : {}),
  });
  options.genAiMetrics?.registerIn(options.server.metricsRegistry);

  const stopTracing = traceRouterEvents(options.router);
  const stopQuality = quality.subscribe((model, score) =>
    options.router.recordQuality(model, score),
  );
  const syncEveryMs = options.syncEveryMs ?? 1_000;
  const stopSyncingExperiments = experiments.startSyncing(syncEveryMs, (error) =>
    app.log.warn({ err: error }, 'experiment store sync failed'),
  );
  const stopSyncingQuality = quality.startSyncing(syncEveryMs, (error) =>
    app.log.warn({ err: error }, 'quality store sync failed'),
  );
  const stopEvaluating = slo.startEvaluating(options.evaluateEveryMs ?? 30_000, (error) =>
    app.log.warn({ err: error }, 'SLO evaluation failed'),
  );
  if (options.server.shared) {
    setGrpcCallObserver(
      options.server.shared,
      createGrpcCallObserver({
        slo,
        onError: (error) => app.log.warn({ err: error }, 'recording a gRPC call failed'),
      }),
    );
  }
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
    stopSyncingExperiments();
    stopSyncingQuality();
    stopQuality();
    stopTracing();
    const closing = await Promise.allSettled([
      slo.close(),
      experiments.close(),
      quality.close(),
      feedback.close(),
    ]);
    for (const result of closing) {
      if (result.status === 'rejected')
        app.log.warn({ err: result.reason }, 'an observability store did not close cleanly');
    }
  });
  return { slo, experiments, feedback, quality };
}
