import { APICallError, BusyError, createSeededRandom, InvalidArgumentError } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock';
import { CircuitBreaker } from './circuit-breaker';
import {
  backoffDelay,
  defaultRetrySettings,
  isRetryableError,
  retryAfterMsOf,
} from './retry-policy';

describe('CircuitBreaker', () => {
  it('walks closed -> open -> half-open -> closed, with a bounded number of probes', async () => {
    const clock = createManualClock();
    const transitions: string[] = [];
    const breaker = new CircuitBreaker(
      clock,
      { failureThreshold: 3, resetTimeoutMs: 1_000, halfOpenMaxProbes: 1 },
      (from, to) => transitions.push(`${from}->${to}`),
    );
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess(); // resets the count
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe('closed');
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    await clock.advance(1_000);
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false); // one probe at a time
    breaker.release();
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });
});

describe('retry policy', () => {
  it('classifies errors by isRetryable', () => {
    expect(isRetryableError(new APICallError({ url: 'u', message: 'm', statusCode: 503 }))).toBe(
      true,
    );
    expect(isRetryableError(new APICallError({ url: 'u', message: 'm', statusCode: 400 }))).toBe(
      false,
    );
    expect(isRetryableError(new BusyError({ queueLimit: 1 }))).toBe(true);
    expect(isRetryableError(new InvalidArgumentError({ argument: 'x', message: 'm' }))).toBe(false);
    expect(isRetryableError(new TypeError('fetch failed'))).toBe(true);
    expect(isRetryableError(new Error('boom'))).toBe(false);
  });

  it('backs off exponentially up to a cap, with jitter from the given randomness', () => {
    const settings = {
      ...defaultRetrySettings,
      baseDelayMs: 100,
      maxDelayMs: 500,
      jitter: 'none' as const,
    };
    expect(
      [1, 2, 3, 4].map((retry) => backoffDelay(settings, retry, undefined, Math.random)),
    ).toEqual([{ delayMs: 100 }, { delayMs: 200 }, { delayMs: 400 }, { delayMs: 500 }]);
    const random = createSeededRandom(3);
    const equal = backoffDelay({ ...settings, jitter: 'equal' }, 2, undefined, random);
    expect('delayMs' in equal && equal.delayMs >= 100 && equal.delayMs <= 200).toBe(true);
  });

  it('reads Retry-After from a field or headers, and waits at least that long', () => {
    expect(retryAfterMsOf({ retryAfterMs: 1500 })).toBe(1500);
    expect(retryAfterMsOf({ responseHeaders: { 'retry-after': '2' } })).toBe(2000);
    expect(retryAfterMsOf(new Error('x'))).toBeUndefined();
    const settings = {
      ...defaultRetrySettings,
      jitter: 'none' as const,
      baseDelayMs: 10,
      maxRetryAfterMs: 5_000,
    };
    expect(backoffDelay(settings, 1, { retryAfterMs: 1500 }, Math.random)).toEqual({
      delayMs: 1500,
    });
    expect(backoffDelay(settings, 1, { retryAfterMs: 9000 }, Math.random)).toMatchObject({
      skip: expect.stringContaining('9000'),
    });
  });
});
