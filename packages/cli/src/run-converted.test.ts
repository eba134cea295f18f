/**
 * `llmr run` on sources that are converted on first use (the built binary, as a user runs it):
 * a PyTorch directory written by real torch.save and a llama2.c file written by llama2.c's
 * export functions give the oracle's closed-form greedy continuation; the second run reuses
 * the cached GGUF. With `--engine node` a safetensors-only directory is converted to a cached
 * ONNX directory instead and runs on ONNX Runtime. `llmr convert` takes a llama2.c file and its
 * tokenizer.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { copyModelJson, createTinyModel, oracleContinuation, type TinyModel } from '@llmr/fixtures';
import { exportLlama2c } from '@llmr/llama2c/testing';
import { torchSave } from '@llmr/pytorch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const exec = promisify(execFile);

let dir: string;
let home: string;
let fixture: TinyModel;

async function llmr(...args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, ...args], {
      timeout: 120_000,
      env: { ...process.env, LLMR_HOME: home },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

const withJson = (target: string) => copyModelJson(fixture.dir, target);

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  dir = await mkdtemp(join(tmpdir(), 'llmr-cli-converted-'));
  home = join(dir, 'home');
  fixture = await createTinyModel({ dir: join(dir, 'oracle-hf'), kind: 'oracle' });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('llmr run on converted sources', () => {
  it('a PyTorch directory (legacy serialization) and a llama2.c v1 file give the oracle continuation', async () => {
    const pytorch = await withJson(join(dir, 'oracle-pytorch'));
    await torchSave(fixture.weights, join(pytorch, 'pytorch_model.bin'), { legacy: true });
    const llama2c = join(await withJson(join(dir, 'oracle-llama2c')), 'oracle.bin');
    await exportLlama2c(
      fixture.weights,
      fixture.files['config.json'] as Record<string, unknown>,
      llama2c,
      1,
    );
    const prompt = 'The lazy dog';
    const expected = oracleContinuation(fixture.successor!, fixture.encode(prompt).at(-1)!, 6);
    for (const source of [pytorch, llama2c]) {
      const args = ['run', source, '--prompt', prompt, '--raw', '-n', '6', '-t', '0', '--json'];
      const first = await llmr(...args);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout).tokens).toEqual(expected);
      const second = await llmr(...args);
      expect(JSON.parse(second.stdout).tokens).toEqual(expected);
    }
    // One conversion per source, kept in the cache under LLMR_HOME and reused by the second run.
    const converted = (await readdir(join(home, 'converted'))).filter((name) => name !== 'hashes');
    expect(converted).toHaveLength(2);
    // inspect names the artefact that served each run: under the cache, named by its key.
    const keys: string[] = [];
    for (const [source, format] of [
      [pytorch, 'hf-directory'],
      [llama2c, 'llama2c'],
    ] as const) {
      const inspected = await llmr('inspect', source, '--json');
      expect(inspected.code, inspected.stderr).toBe(0);
      const result = JSON.parse(inspected.stdout);
      expect(result.format).toBe(format);
      expect(result.converted).toMatchObject({ cached: true, dtype: 'f16' });
      expect(result.converted.path).toBe(
        join(home, 'converted', result.converted.key, 'model.gguf'),
      );
      expect(existsSync(result.converted.path)).toBe(true);
      keys.push(result.converted.key);
    }
    expect(keys.sort()).toEqual([...converted].sort());
    // Another dtype is another artefact, not converted yet.
    const q8 = JSON.parse((await llmr('inspect', pytorch, '--json', '--dtype', 'q8_0')).stdout);
    expect(q8.converted.cached).toBe(false);
    expect(q8.converted.key).not.toBe(keys[0]);
  }, 240_000);

  it('--engine node converts a safetensors-only directory to a cached ONNX directory and runs it', async () => {
    const prompt = 'The lazy dog';
    const expected = oracleContinuation(fixture.successor!, fixture.encode(prompt).at(-1)!, 6);
    const before = JSON.parse(
      (await llmr('inspect', fixture.dir, '--engine', 'node', '--json')).stdout,
    );
    expect(before.converted).toMatchObject({ cached: false, target: 'onnx', dtype: 'f32' });
    const args = ['run', fixture.dir, '--engine', 'node', '--prompt', prompt, '--raw', '-n', '6'];
    const first = await llmr(...args, '-t', '0', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).tokens).toEqual(expected);
    const inspected = await llmr('inspect', fixture.dir, '--engine', 'node', '--json');
    expect(inspected.code, inspected.stderr).toBe(0);
    const { converted } = JSON.parse(inspected.stdout);
    expect(converted).toEqual({ ...before.converted, cached: true });
    expect(converted.path).toBe(join(home, 'converted', converted.key));
    const model = join(converted.path, 'onnx', 'model.onnx');
    const modified = (await stat(model)).mtimeMs;
    // The second run reuses the directory: nothing is converted or rewritten.
    const second = await llmr(...args, '-t', '0', '--json');
    expect(JSON.parse(second.stdout).tokens).toEqual(expected);
    expect((await stat(model)).mtimeMs).toBe(modified);
    // Without --engine the same directory is served by a GGUF, a different artefact.
    const gguf = JSON.parse((await llmr('inspect', fixture.dir, '--json')).stdout);
    expect(gguf.converted).toMatchObject({ target: 'gguf', dtype: 'f16' });
    expect(gguf.converted.key).not.toBe(converted.key);
  }, 240_000);

  it('llmr convert takes a llama2.c file with --tokenizer', async () => {
    const file = join(dir, 'oracle-llama2c', 'oracle.bin');
    const elsewhere = join(dir, 'bare');
    await mkdir(elsewhere, { recursive: true });
    await copyFile(file, join(elsewhere, 'oracle.bin'));
    const missing = await llmr('convert', join(elsewhere, 'oracle.bin'), '--to', 'gguf', '--json');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/tokenizer/);
    const output = join(dir, 'oracle-from-llama2c.gguf');
    const result = await llmr(
      'convert',
      join(elsewhere, 'oracle.bin'),
      '--to',
      'gguf',
      '--tokenizer',
      join(dir, 'oracle-llama2c', 'tokenizer.json'),
      '-o',
      output,
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      output,
      format: 'gguf',
      architecture: 'llama',
    });
  }, 240_000);
});
