/**
 * The fixtures' tiny models as hub repos for the test double: a GGUF repo (written
 * through @llmr/convert in two quantizations), an ONNX repo in the transformers.js
 * layout (fp32 and q4), and the HF directory itself (safetensors).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { convertHfToOnnx, createMemoryTensorSource, writeHfModelAsGguf } from '@llmr/convert';
import { buildTinyModel, createTinyModel, type TinyModel } from '@llmr/fixtures';
import type { HubTestFiles } from '../testing/index';

export interface HubModels {
  model: TinyModel;
  gguf: HubTestFiles;
  onnx: HubTestFiles;
  hf: HubTestFiles;
  remove(): Promise<void>;
}

async function readTree(root: string): Promise<HubTestFiles> {
  const files: HubTestFiles = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(root, path).split('\\').join('/')] = new Uint8Array(await readFile(path));
  }
  return files;
}

export async function buildHubModels(options: { onnx?: boolean } = {}): Promise<HubModels> {
  const dir = await mkdtemp(join(tmpdir(), 'llmr-hf-fixtures-'));
  const model = await createTinyModel({ dir: join(dir, 'hf'), kind: 'random', seed: 7 });
  const gguf: HubTestFiles = {
    'README.md': '# tiny\nA tiny Llama for tests.\n',
    '.gitattributes': '*.gguf filter=lfs diff=lfs merge=lfs -text\n',
  };
  for (const [dtype, name] of [
    ['q8_0', 'Q8_0'],
    ['f16', 'F16'],
  ] as const) {
    const path = join(dir, `tiny-${name}.gguf`);
    const memory = buildTinyModel({ kind: 'random', seed: 7 });
    await writeHfModelAsGguf(
      {
        dir: 'tiny',
        config: memory.files['config.json'],
        tokenizer: memory.files['tokenizer.json'],
        tokenizerConfig: memory.files['tokenizer_config.json'],
        tensors: createMemoryTensorSource(memory.weights),
      },
      { output: path, dtype },
    );
    gguf[`tiny-${name}.gguf`] = new Uint8Array(await readFile(path));
  }
  const onnx: HubTestFiles = {};
  if (options.onnx !== false) {
    const out = join(dir, 'onnx-model');
    await convertHfToOnnx({ input: model.dir, output: out, dtype: 'f32' });
    await convertHfToOnnx({
      input: model.dir,
      output: out,
      dtype: 'q4',
      fileName: 'model_q4.onnx',
    });
    Object.assign(onnx, await readTree(out), { 'README.md': '# tiny onnx\n' });
  }
  const hf = { ...(await readTree(model.dir)), 'README.md': '# tiny hf\n' };
  return { model, gguf, onnx, hf, remove: () => rm(dir, { recursive: true, force: true }) };
}
