/**
 * Where a decode step's time goes, by operator type, in onnxruntime-node's own profiler: llmr's
 * export against a plain torch.onnx.export of the same weights (when a python with torch is
 * found), same thread count. Runs a hand-written greedy loop (prefill, then BENCH_TOKENS steps)
 * and reports, per decode step: the run's time, the kernels' sum (what is left is the runtime's
 * own per-run cost), the node count after ONNX Runtime's graph optimisations, and the op types
 * that take the time. Settings: BENCH_HIDDEN (512), BENCH_LAYERS (8), BENCH_TOKENS (32),
 * BENCH_THREADS (1). Run: pnpm --filter @llmr/loader-onnx bench:profile (after a build).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTensorSource, hfModelToOnnxBytes } from '@llmr/convert';
import { fixtureTokenizer, randomWeights, toConfigJson } from '@llmr/fixtures';
import * as ort from 'onnxruntime-node';
import { benchLlamaConfig } from './bench-config';
import { ortGreedy } from './ort-greedy';
import { findTorch, torchExport } from './torch-export';

const hidden = Number(process.env.BENCH_HIDDEN ?? 512);
const layers = Number(process.env.BENCH_LAYERS ?? 8);
const tokens = Number(process.env.BENCH_TOKENS ?? 32);
const threads = Number(process.env.BENCH_THREADS ?? 1);

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

const bpe = fixtureTokenizer(384);
const config = benchLlamaConfig(bpe, hidden, layers);
const weights = randomWeights(config, 11);
const configJson = toConfigJson(config);
const root = await mkdtemp(join(tmpdir(), 'llmr-profile-ops-'));

/** Greedy decode with ONNX Runtime's profiler on; the profile's events. */
async function profile(label: string, model: Uint8Array | string): Promise<ProfileEvent[]> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionProviders: ['cpu'],
    enableProfiling: true,
    profileFilePrefix: join(root, label),
  };
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, options)
      : await ort.InferenceSession.create(model, options);
  await ortGreedy(session, config, [config.bosTokenId, 5, 17, 42, 99, 7, 11, 200], tokens + 1);
  (session as unknown as { endProfiling(): void }).endProfiling();
  await session.release();
  const file = (await readdir(root)).find(
    (name) => name.startsWith(label) && name.endsWith('.json'),
  );
  if (!file) throw new Error(`ONNX Runtime wrote no profile for ${label} in ${root}`);
  return JSON.parse(await readFile(join(root, file), 'utf8')) as ProfileEvent[];
}

function summarize(label: string, events: ProfileEvent[]) {
  const runs = events
    .filter((event) => event.cat === 'Session' && event.name === 'model_run')
    .sort((a, b) => a.ts - b.ts)
    .slice(1); // the prefill
  const inRun = (event: ProfileEvent) =>
    runs.some((run) => event.ts >= run.ts && event.ts <= run.ts + run.dur);
  const kernels = events.filter(
    (event) => event.cat === 'Node' && event.name.endsWith('_kernel_time') && inRun(event),
  );
  const byOp = new Map<string, { us: number; count: number }>();
  for (const kernel of kernels) {
    const op = kernel.args?.op_name ?? '?';
    const entry = byOp.get(op) ?? { us: 0, count: 0 };
    entry.us += kernel.dur;
    entry.count += 1;
    byOp.set(op, entry);
  }
  const steps = runs.length;
  const runUs = runs.reduce((sum, run) => sum + run.dur, 0) / steps;
  const kernelUs = kernels.reduce((sum, kernel) => sum + kernel.dur, 0) / steps;
  return {
    label,
    steps,
    runUsPerStep: runUs,
    kernelUsPerStep: kernelUs,
    nodesPerStep: kernels.length / steps,
    ops: [...byOp]
      .map(([op, { us, count }]) => ({ op, usPerStep: us / steps, nodesPerStep: count / steps }))
      .sort((a, b) => b.usPerStep - a.usPerStep),
  };
}

try {
  const graph = await hfModelToOnnxBytes(
    { dir: 'bench', config: configJson, tensors: createMemoryTensorSource(weights) },
    { dtype: 'f32' },
  );
  const results = [summarize('llmr', await profile('llmr', graph))];
  const torch = findTorch();
  if (torch) {
    const file = join(root, 'torch', 'model.onnx');
    await torchExport(torch.python, root, file, config, configJson, weights);
    results.push(summarize('torch', await profile('torch', file)));
  } else console.log('no python with torch and numpy: only llmr export profiled');
  console.log(
    `decode step profile, ${hidden} hidden, ${layers} layers, ${threads} threads, ${tokens} steps`,
  );
  console.table(
    results.map((result) => ({
      export: result.label,
      'run µs/step': result.runUsPerStep.toFixed(0),
      'kernels µs/step': result.kernelUsPerStep.toFixed(0),
      'runtime overhead µs': (result.runUsPerStep - result.kernelUsPerStep).toFixed(0),
      'nodes/step': result.nodesPerStep.toFixed(0),
    })),
  );
  for (const result of results) {
    console.log(`${result.label}: op types by time per decode step`);
    console.table(
      result.ops.slice(0, 14).map((op) => ({
        op: op.op,
        'µs/step': op.usPerStep.toFixed(1),
        nodes: op.nodesPerStep.toFixed(0),
      })),
    );
  }
  console.log(
    JSON.stringify({ bench: 'loader-onnx-profile-ops', hidden, layers, threads, results }),
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
