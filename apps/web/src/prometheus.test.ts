import { describe, expect, it } from 'vitest';
import { parseMetrics, rates } from './prometheus';

const text = (
  requests: number,
  errors: number,
  ttftSum: number,
  ttftCount: number,
  tokens: number,
) =>
  [
    '# HELP llmr_http_requests_total Requests',
    '# TYPE llmr_http_requests_total counter',
    `llmr_http_requests_total{route="/v1/chat/completions",model="echo",status="200"} ${requests}`,
    `llmr_http_requests_total{route="/v1/chat/completions",model="echo",status="400"} ${errors}`,
    `llmr_http_requests_total{route="/v1/chat/completions",model="echo",status="503"} ${errors}`,
    `llmr_time_to_first_token_seconds_bucket{le="0.1",model="echo"} ${ttftCount}`,
    `llmr_time_to_first_token_seconds_sum{model="echo"} ${ttftSum}`,
    `llmr_time_to_first_token_seconds_count{model="echo"} ${ttftCount}`,
    `llmr_tokens_total{model="echo",kind="input"} 999`,
    `llmr_tokens_total{model="echo",kind="output"} ${tokens}`,
    'llmr_tokens_total{model="echo",kind="output"} NaN',
    'not a metric line',
  ].join('\n');

describe('parseMetrics and rates', () => {
  it('sums the series the charts need and ignores the rest', () => {
    expect(parseMetrics(text(10, 2, 0.5, 5, 100), 1)).toEqual({
      at: 1,
      requests: 14,
      errors: 4,
      ttftSum: 0.5,
      ttftCount: 5,
      tokens: 100,
    });
  });

  it('turns two snapshots into per-second rates and a mean TTFT', () => {
    const before = parseMetrics(text(10, 2, 0.5, 5, 100), 1);
    const after = parseMetrics(text(20, 3, 0.9, 9, 300), 3);
    expect(rates(before, after)).toEqual({
      requestsPerSecond: 6,
      errorsPerSecond: 1,
      ttftMs: 100,
      tokensPerSecond: 100,
    });
  });

  it('reads a counter reset as zero, and no streams as no TTFT', () => {
    const before = parseMetrics(text(20, 3, 0.9, 9, 300), 1);
    const after = parseMetrics(text(1, 0, 0.9, 9, 0), 2);
    const result = rates(before, after);
    expect(result.requestsPerSecond).toBe(0);
    expect(result.ttftMs).toBeUndefined();
  });
});
