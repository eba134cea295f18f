/**
 * Tiny ONNX model directories for the loader's tests: a fixture HF model (random or
 * oracle weights) exported by @llmr/convert, cached per kind/dtype for the test run.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertHfToOnnx, type OnnxDtype } from '@llmr/convert';
import { createTinyModel, type TinyModel, type TinyModelOptions } from '@llmr/fixtures';

export interface OnnxFixture extends TinyModel {
  /** The ONNX model directory (config.json, tokenizer files, onnx/model.onnx). */
  onnxDir: string;
}

let root: Promise<string> | undefined;
const made = new Map<string, Promise<OnnxFixture>>();

export function onnxFixture(
  kind: 'random' | 'oracle',
  dtype: OnnxDtype = 'f32',
  extra: Partial<TinyModelOptions> = {},
): Promise<OnnxFixture> {
  const key = `${kind}-${dtype}-${JSON.stringify(extra)}`;
  let fixture = made.get(key);
  if (!fixture) {
    fixture = (async () => {
      root ??= mkdtemp(join(tmpdir(), 'llmr-loader-onnx-'));
      const base = join(await root, key.replace(/[^a-z0-9-]/gi, '_'));
      const model = await createTinyModel({ dir: join(base, 'hf'), kind, ...extra });
      const onnxDir = join(base, 'onnx-model');
      await convertHfToOnnx({ input: model.dir, output: onnxDir, dtype });
      return { ...model, onnxDir };
    })();
    made.set(key, fixture);
  }
  return fixture;
}

/** A directory that looks like an ONNX model but whose graph is garbage. */
export async function brokenOnnxDir(): Promise<string> {
  const fixture = await onnxFixture('random');
  root ??= mkdtemp(join(tmpdir(), 'llmr-loader-onnx-'));
  const dir = join(await root, 'broken');
  await mkdir(join(dir, 'onnx'), { recursive: true });
  const { readFile } = await import('node:fs/promises');
  for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    await writeFile(join(dir, name), await readFile(join(fixture.onnxDir, name)));
  await writeFile(join(dir, 'onnx', 'model.onnx'), new Uint8Array([8, 1, 2, 3, 0xff, 0xff]));
  return dir;
}

/** Removes every fixture this test file made. */
export async function removeOnnxFixtures(): Promise<void> {
  const dir = await root;
  root = undefined;
  made.clear();
  if (dir) await rm(dir, { recursive: true, force: true });
}
