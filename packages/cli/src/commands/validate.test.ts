/**
 * `llmr validate` (the built binary) on real fixture models: a GGUF converted from an HF
 * directory agrees with that directory (exit 0); a q4_0 quantization of the same model shows
 * its logprob error next to F32; a model trained from another seed differs (exit 1); bad
 * sources and flags are usage errors (exit 2) that say what to pass.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTinyModel } from '@llmr/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const exec = promisify(execFile);

let dir: string;
let home: string;

async function llmr(...args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, ...args], {
      timeout: 180_000,
      env: { ...process.env, LLMR_HOME: home },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

type Row = { check: string; status: string; detail: string; metrics: Record<string, number> };
const rows = (stdout: string): Record<string, Row> =>
  Object.fromEntries(
    (JSON.parse(stdout).comparison.rows as Row[]).map((row: Row) => [row.check, row]),
  );

const hf = () => join(dir, 'seed5');
const gguf = (dtype: string) => join(dir, `seed5-${dtype}.gguf`);

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  dir = await mkdtemp(join(tmpdir(), 'llmr-validate-'));
  home = join(dir, 'home');
  await createTinyModel({ dir: hf(), kind: 'random', seed: 5 });
  await createTinyModel({ dir: join(dir, 'seed6'), kind: 'random', seed: 6 });
  for (const dtype of ['f16', 'f32', 'q4_0']) {
    const converted = await llmr(
      'convert',
      hf(),
      '--to',
      'gguf',
      '--dtype',
      dtype,
      '-o',
      gguf(dtype),
    );
    expect(converted.code, converted.stderr).toBe(0);
  }
  const onnx = await llmr('convert', hf(), '--to', 'onnx', '-o', join(dir, 'seed5-onnx'));
  expect(onnx.code, onnx.stderr).toBe(0);
}, 240_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('llmr validate', () => {
  it('a converted GGUF agrees with its HF directory, and both pass the conformance kit', async () => {
    const result = await llmr('validate', gguf('f16'), '--against', hf(), '--json');
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.agrees).toBe(true);
    expect(output.conformance.source.failed).toEqual([]);
    expect(output.conformance.against.failed).toEqual([]);
    expect(output.conformance.source.passed.length).toBeGreaterThan(5);
    const byCheck = rows(result.stdout);
    for (const check of ['tokenization', 'greedy-tokens', 'top-token', 'logprobs'])
      expect(byCheck[check]?.status, check).toBe('agrees');
    // The same f16 weights under the same runtime: no error at all.
    expect(byCheck.logprobs?.metrics).toMatchObject({ maxAbsError: 0, klMax: 0 });
    expect(byCheck['greedy-tokens']?.metrics.agreedTokens).toBeGreaterThan(20);
  }, 240_000);

  it('prints q4_0 against F32 as a table with the numbers, and exits 1 at the default tolerance', async () => {
    const table = await llmr(
      'validate',
      gguf('f32'),
      '--against',
      gguf('q4_0'),
      '--no-conformance',
    );
    expect(table.code, table.stderr).toBe(1);
    expect(table.stdout).toMatch(/tokenization\s+agrees\s+6\/6 probe texts give the same ids/);
    expect(table.stdout).toMatch(/logprobs\s+differs\s+max abs error \d\.\d\de[-+]\d+, relative/);
    expect(table.stdout).toMatch(/KL max \d\.\d\de[-+]\d+ mean/);
    expect(table.stdout).toMatch(/\nDIFFERS\n/);
    const json = await llmr(
      'validate',
      gguf('f32'),
      '--against',
      gguf('q4_0'),
      '--no-conformance',
      '--json',
    );
    const logprobs = rows(json.stdout).logprobs!;
    expect(logprobs.metrics.maxAbsError).toBeGreaterThan(1e-3);
    expect(logprobs.metrics.klMax).toBeGreaterThan(0);
    // 4-bit weights move the distribution, they do not replace it.
    expect(logprobs.metrics.klMean).toBeLessThan(0.5);
  }, 240_000);

  it('a model from another seed differs (exit 1), on the prompts of a --prompts file', async () => {
    const prompts = join(dir, 'prompts.txt');
    await writeFile(prompts, 'The lazy dog\n\nOnce upon a time\n12 + 34 =\n');
    const result = await llmr(
      'validate',
      gguf('f16'),
      '--against',
      join(dir, 'seed6'),
      '--prompts',
      prompts,
      '--steps',
      '4',
      '--no-conformance',
      '--json',
    );
    expect(result.code, result.stderr).toBe(1);
    const output = JSON.parse(result.stdout);
    expect(output.agrees).toBe(false);
    expect(output.comparison.prompts.map((prompt: { prompt: string }) => prompt.prompt)).toEqual([
      'The lazy dog',
      'Once upon a time',
      '12 + 34 =',
    ]);
    expect(output.comparison.steps).toBe(4);
    const byCheck = rows(result.stdout);
    // Same tokenizer, other weights.
    expect(byCheck.tokenization?.status).toBe('agrees');
    expect(byCheck['greedy-tokens']?.status).toBe('differs');
    expect(byCheck.logprobs?.status).toBe('differs');
  }, 240_000);

  it('one ONNX model on two engines (ONNX Runtime native and wasm) agrees', async () => {
    const onnx = join(dir, 'seed5-onnx');
    const result = await llmr(
      'validate',
      onnx,
      '--engine',
      'node',
      '--against',
      onnx,
      '--against-engine',
      'wasm',
      '--no-conformance',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    const byCheck = rows(result.stdout);
    expect(byCheck['greedy-tokens']?.status).toBe('agrees');
    expect(byCheck.logprobs?.status).toBe('agrees');
    // Two float32 kernels: rounding differences only.
    expect(byCheck.logprobs?.metrics.maxAbsError).toBeLessThan(1e-4);
    expect(byCheck.logprobs?.metrics.steps).toBeGreaterThan(20);
  }, 240_000);

  it('bad sources and flags are usage errors that say what to pass', async () => {
    const missing = await llmr('validate', join(dir, 'nope.gguf'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /Cannot open .*nope\.gguf: no such file or directory\. Pass a \.gguf file/,
    );
    const unknown = await llmr('validate', gguf('f16'), '--against', join(hf(), 'config.json'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No loader can load .*config\.json.*Pass a model llmr can load/);
    const steps = await llmr('validate', gguf('f16'), '--steps', '0');
    expect(steps.code).toBe(2);
    expect(steps.stderr).toMatch(/steps must be an integer from 1 to 4096; got 0/);
    const empty = join(dir, 'empty.json');
    await writeFile(empty, '{"prompts": []}');
    const prompts = await llmr('validate', gguf('f16'), '--prompts', empty);
    expect(prompts.code).toBe(2);
    expect(prompts.stderr).toMatch(/must hold a JSON array of non-empty strings/);
    const help = await llmr('--help');
    expect(help.stdout).toMatch(/validate \[options\] <source>/);
  }, 240_000);
});
