/**
 * Reads the few series the charts need from Prometheus text (the server's /metrics):
 * sums over all label sets, so the charts show the whole server.
 */
export interface Snapshot {
  /** Seconds since the page loaded, from the page's clock. */
  at: number;
  requests: number;
  errors: number;
  ttftSum: number;
  ttftCount: number;
  tokens: number;
}

/** The server's text is small; a larger one is not the llmr /metrics. */
const MAX_TEXT = 4 * 1024 * 1024;

export function parseMetrics(text: string, at: number): Snapshot {
  const snapshot: Snapshot = { at, requests: 0, errors: 0, ttftSum: 0, ttftCount: 0, tokens: 0 };
  for (const line of text.slice(0, MAX_TEXT).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-z_:]+)(\{[^}]*\})?\s+(\S+)/i.exec(line);
    if (!match) continue;
    const [, name, labels = '', raw] = match;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (name === 'llmr_http_requests_total') {
      snapshot.requests += value;
      if (/status="[45]\d\d"/.test(labels)) snapshot.errors += value;
    } else if (name === 'llmr_time_to_first_token_seconds_sum') snapshot.ttftSum += value;
    else if (name === 'llmr_time_to_first_token_seconds_count') snapshot.ttftCount += value;
    else if (name === 'llmr_tokens_total' && /kind="output"/.test(labels)) snapshot.tokens += value;
  }
  return snapshot;
}

export interface Rates {
  requestsPerSecond: number;
  errorsPerSecond: number;
  /** Mean time to first token over the interval, in ms; undefined with no streams. */
  ttftMs: number | undefined;
  tokensPerSecond: number;
}

/** Rates between two snapshots (a counter reset, a server restart, reads as zero). */
export function rates(before: Snapshot, after: Snapshot): Rates {
  const seconds = Math.max(after.at - before.at, 1e-3);
  const delta = (key: keyof Snapshot) => Math.max(after[key] - before[key], 0);
  const streams = delta('ttftCount');
  return {
    requestsPerSecond: delta('requests') / seconds,
    errorsPerSecond: delta('errors') / seconds,
    ttftMs: streams > 0 ? (delta('ttftSum') / streams) * 1000 : undefined,
    tokensPerSecond: delta('tokens') / seconds,
  };
}
