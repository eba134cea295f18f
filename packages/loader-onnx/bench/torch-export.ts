/**
 * The transformers.js side of the ONNX benches: its model directory, and a plain Optimum-style
 * export of the same weights through PyTorch's torch.onnx.export (torch-llama-export.py).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LlamaConfig, llamaTensorShapes, type Weights } from '@llmr/fixtures';

const exporter = join(dirname(fileURLToPath(import.meta.url)), 'torch-llama-export.py');
// A virtual environment's python3 often lacks torch where the system's (e.g. Debian's
// python3-torch) has it, so both are tried.
export const PYTHONS = process.env.BENCH_PYTHON
  ? [process.env.BENCH_PYTHON]
  : ['python3', '/usr/bin/python3'];

/** The first python with torch and numpy, and torch's version. */
export function findTorch(): { python: string; version: string } | undefined {
  for (const python of PYTHONS) {
    const probe = spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__)'], {
      encoding: 'utf8',
    });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
  }
  return undefined;
}

/** A transformers.js model directory without its onnx/model.onnx. */
export async function writeTransformersDirectory(
  dir: string,
  configJson: Record<string, unknown>,
  config: LlamaConfig,
  tokenizer: { json: unknown; config: unknown },
) {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(configJson));
  await writeFile(
    join(dir, 'generation_config.json'),
    JSON.stringify({ bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenId }),
  );
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.json));
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizer.config));
}

/**
 * Writes the weights where torch-llama-export.py reads them (a scratch folder under `scratch`),
 * runs it to `output`, and returns how long the export took in ms.
 */
export async function torchExport(
  python: string,
  scratch: string,
  output: string,
  config: LlamaConfig,
  configJson: Record<string, unknown>,
  weights: Weights,
): Promise<number> {
  const source = join(scratch, 'weights');
  await mkdir(source, { recursive: true });
  const manifest: { name: string; shape: number[]; offset: number }[] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [name, shape] of llamaTensorShapes(config)) {
    const { data } = weights.get(name)!;
    manifest.push({ name, shape: [...shape], offset });
    parts.push(data);
    offset += data.length;
  }
  await writeFile(join(source, 'config.json'), JSON.stringify(configJson));
  await writeFile(join(source, 'weights.json'), JSON.stringify(manifest));
  await writeFile(
    join(source, 'weights.bin'),
    Buffer.concat(parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength))),
  );
  await mkdir(dirname(output), { recursive: true });
  const started = performance.now();
  const run = spawnSync(python, [exporter, source, output], { encoding: 'utf8' });
  await rm(source, { recursive: true, force: true });
  if (run.status !== 0)
    throw new Error(`torch-llama-export.py failed (${run.status}): ${run.stderr.slice(-2000)}`);
  return performance.now() - started;
}
