/**
 * Fails when core's public API differs from the committed report. An intended change is
 * accepted by re-running with -u, which rewrites api-report.api.md for review.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createApiReport } from './api-report';

const packageDirectory = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

describe('the @llmr/core API report', () => {
  it('matches the committed report', async () => {
    await expect(createApiReport(packageDirectory)).toMatchFileSnapshot('../api-report.api.md');
  }, 60_000);

  it('sees a changed signature', () => {
    const report = createApiReport(packageDirectory);
    expect(report).toContain('interface ModelV1 {');
    expect(report).toMatch(
      /doGenerate\(options: ModelV1CallOptions\): Promise<ModelV1GenerateResult>;/,
    );
    expect(report).toMatch(/class LlmrError extends Error/);
    expect(report).toContain('function checkModel(');
    expect(report).not.toMatch(/return /);
  }, 60_000);
});
