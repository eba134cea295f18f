/** Prometheus metrics, one registry per server (so several servers can share a process). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BackendStats } from './backend';

export function createMetrics(
  stats?: () => BackendStats | undefined,
  queueDepth: () => number = () => 0,
) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'llmr_process_' });
  const requests = new Counter({
    name: 'llmr_http_requests_total',
    help: 'HTTP requests by route, model and status.',
    labelNames: ['route', 'model', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'llmr_http_request_duration_seconds',
    help: 'HTTP request latency by route, model and status.',
    labelNames: ['route', 'model', 'status'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const timeToFirstToken = new Histogram({
    name: 'llmr_time_to_first_token_seconds',
    help: 'Time from request to the first generated text.',
    labelNames: ['model'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const tokensPerSecond = new Histogram({
    name: 'llmr_tokens_per_second',
    help: 'Decode speed per request (output tokens / generation time).',
    labelNames: ['model'],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'llmr_tokens_total',
    help: 'Tokens processed, by model and kind (input, output).',
    labelNames: ['model', 'kind'],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'llmr_in_flight_requests',
    help: 'Generation requests in progress.',
    registers: [registry],
  });
  new Gauge({
    name: 'llmr_queue_depth',
    help: 'Requests accepted and waiting for their first token (queued for a model or a sequence).',
    registers: [registry],
    collect() {
      this.set(queueDepth());
    },
  });
  // A counter (it only grows, and `_total` promises one to rate() and increase()), read
  // from the backend's running count at scrape time.
  new Counter({
    name: 'llmr_cache_hits_total',
    help: 'Response cache hits.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats?.()?.cacheHits ?? 0);
    },
  });
  new Gauge({
    name: 'llmr_circuit_state',
    help: 'Circuit breaker state per model: 0 closed, 1 half-open, 2 open.',
    labelNames: ['model'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [model, state] of Object.entries(stats?.()?.circuits ?? {}))
        this.set({ model }, state);
    },
  });
  return { registry, requests, latency, timeToFirstToken, tokensPerSecond, tokens, inFlight };
}

export type Metrics = ReturnType<typeof createMetrics>;
