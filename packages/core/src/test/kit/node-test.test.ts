/**
 * The plain kit outside vitest: a `node:test` file that uses `@llmr/core/test/kit` is
 * bundled (with vitest left external, so any vitest import would show) and run by
 * `node --test` in a child process, once with a healthy model and once with a broken one.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const entry = fileURLToPath(new URL('../__fixtures__/node-test-entry.ts', import.meta.url));
let work: string;
let bundle: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llmr-kit-node-test-'));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    external: ['vitest', 'node:*'],
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]!.text;
  bundle = join(work, 'kit.test.mjs');
  await writeFile(bundle, text);
  expect(text).not.toMatch(/from\s+["']vitest["']/);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function nodeTest(defect: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--test', bundle], {
      env: { ...process.env, DEFECT: defect },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, output: failure.stdout + failure.stderr };
  }
}

describe('@llmr/core/test/kit under node:test', () => {
  it('passes a healthy model', async () => {
    const { code, output } = await nodeTest('');
    expect(output).toMatch(/# pass 2/);
    expect(code).toBe(0);
  });

  it('fails a broken model, naming the failed check', async () => {
    const { code, output } = await nodeTest('ignores-abort');
    expect(code).not.toBe(0);
    expect(output).toMatch(/# fail 1/);
    expect(output).toContain('conformance checks failed');
  });
});
