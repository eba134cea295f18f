import { describe, expect, it } from 'vitest';
import { isLoopback, resolveConsole } from './console-assets';

describe('resolveConsole', () => {
  const quiet = () => undefined;

  it('is on by default on loopback only', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.1.2.3')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('192.168.1.5')).toBe(false);
    expect(resolveConsole({ host: '0.0.0.0' }, quiet, {})).toBe(false);
  });

  it('is off with --no-console or LLMR_CONSOLE=0, even on loopback', () => {
    expect(resolveConsole({ host: '127.0.0.1', console: false }, quiet, {})).toBe(false);
    expect(resolveConsole({ host: '127.0.0.1' }, quiet, { LLMR_CONSOLE: '0' })).toBe(false);
  });

  it('finds the built @llmr/web on loopback, and when asked for on any interface', () => {
    // @llmr/web is built before the CLI (it is one of its dependencies).
    const onLoopback = resolveConsole({ host: '127.0.0.1' }, quiet, {});
    expect(onLoopback).toMatchObject({ root: expect.stringMatching(/web[\\/]dist$/) });
    expect(resolveConsole({ host: '0.0.0.0', console: true }, quiet, {})).toEqual(onLoopback);
    expect(resolveConsole({ host: '0.0.0.0' }, quiet, { LLMR_CONSOLE: '1' })).toEqual(onLoopback);
  });

  it('refuses a malformed LLMR_CONSOLE', () => {
    expect(() => resolveConsole({ host: '127.0.0.1' }, quiet, { LLMR_CONSOLE: 'yes' })).toThrow(
      'LLMR_CONSOLE must be 1 or 0; got "yes".',
    );
  });
});
