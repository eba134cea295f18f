/**
 * Where burn-rate alerts go: the log, and webhooks (JSON POST with retries and backoff;
 * an alert that still fails is appended to a dead-letter file, one JSON line each, so
 * nothing is lost silently).
 */
import { appendFile } from 'node:fs/promises';

export interface SloAlert {
  state: 'firing' | 'resolved';
  rule: string;
  severity: 'page' | 'ticket';
  slo: string;
  series: string;
  labels: Record<string, string>;
  burnRateThreshold: number;
  longWindow: { ms: number; burnRate: number };
  shortWindow: { ms: number; burnRate: number };
  errorBudgetRemaining: number;
  /** Epoch ms, from the monitor's clock. */
  at: number;
}

export type AlertSink = (alert: SloAlert) => Promise<void> | void;

export interface AlertLogger {
  warn(payload: object, message: string): void;
  info(payload: object, message: string): void;
}

/** Fits pino (and so Fastify's logger) and `console`-like objects alike. */
export function createLogAlertSink(logger: AlertLogger): AlertSink {
  return (alert) => {
    const message = `SLO ${alert.slo} ${alert.series}: ${alert.rule} ${alert.state} (burn ${alert.longWindow.burnRate.toFixed(1)}x over ${alert.longWindow.ms / 60_000} min, ${alert.shortWindow.burnRate.toFixed(1)}x over ${alert.shortWindow.ms / 60_000} min)`;
    if (alert.state === 'firing') logger.warn({ alert }, message);
    else logger.info({ alert }, message);
  };
}

export interface WebhookAlertSinkOptions {
  url: string;
  headers?: Record<string, string>;
  /** Tries after the first; default 3. */
  retries?: number;
  /** First backoff, doubled each retry; default 500 ms. */
  backoffMs?: number;
  timeoutMs?: number;
  /** Alerts that could not be delivered are appended here as JSON lines. */
  deadLetterPath?: string;
  fetch?: typeof fetch;
  sleep?: (milliseconds: number) => Promise<void>;
  onDeadLetter?: (alert: SloAlert, error: unknown) => void;
}

export function createWebhookAlertSink(options: WebhookAlertSinkOptions): AlertSink {
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const fetchImplementation = options.fetch ?? fetch;
  const sleep =
    options.sleep ??
    ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)));
  return async (alert) => {
    let lastError: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(backoffMs * 2 ** (attempt - 1));
      try {
        const response = await fetchImplementation(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        await response.arrayBuffer();
        if (response.ok) return;
        lastError = new Error(`The webhook answered HTTP ${response.status}.`);
        // A 4xx other than 408/429 will not change on retry: the alert or the URL is wrong.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) break;
      } catch (error) {
        lastError = error;
      }
    }
    options.onDeadLetter?.(alert, lastError);
    if (options.deadLetterPath) {
      const line = JSON.stringify({
        alert,
        url: options.url,
        error: lastError instanceof Error ? lastError.message : String(lastError),
        failedAt: new Date().toISOString(),
      });
      await appendFile(options.deadLetterPath, `${line}\n`);
    }
  };
}
