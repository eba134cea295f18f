#!/usr/bin/env node
/**
 * The GPU check, for a machine that has a GPU (nothing in the test suite needs one):
 *
 *   1. what node-llama-cpp and onnxruntime-node can run on here (GPU types, devices, VRAM,
 *      execution providers);
 *   2. the GGUF bench with every layer on the GPU, llmr next to node-llama-cpp alone, and
 *      the backend each actually ran on;
 *   3. a conformance pass: loader-gguf's conformance and GPU tests, whose loads default to
 *      `gpu: "auto"` (so they run on the GPU), and the engine-node tests (CUDA provider).
 *
 * Exits non-zero when a step fails, or when --expect <backend> is given and the bench ran
 * on another backend (a silent CPU fallback is then a failure).
 *
 *   node scripts/gpu-check.mjs [--gpu auto|cuda|vulkan|metal] [--expect cuda] [--full]
 *
 * --full runs the full-size bench (~0.5B parameters); the default is the small one.
 * Needs node-llama-cpp's GPU binaries (`@node-llama-cpp/<platform>-cuda` or `-vulkan`),
 * which a plain `npm install` brings and this workspace's install leaves out (see
 * `ignoredOptionalDependencies` in pnpm-workspace.yaml): install them with
 * `pnpm --filter @llmr/loader-gguf add -D @node-llama-cpp/linux-x64-cuda` (or remove them from
 * that list) on the GPU machine first.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    gpu: { type: 'string', default: 'auto' },
    expect: { type: 'string' },
    full: { type: 'boolean', default: false },
  },
});
const failures = [];

function step(title) {
  process.stdout.write(`\n== ${title}\n`);
}

/** Runs a command in the workspace, echoing its output; returns its stdout. */
function run(command, args, env = {}) {
  process.stdout.write(
    `$ ${Object.entries(env)
      .map(([key, value]) => `${key}=${value} `)
      .join('')}${command} ${args.join(' ')}\n`,
  );
  const result = spawnSync(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(result.stdout ?? '');
  if (result.status !== 0) failures.push(`${command} ${args.join(' ')} exited ${result.status}`);
  return result.stdout ?? '';
}

// 1. What the runtimes see.
step('runtimes');
const fromLoader = createRequire(join(root, 'packages/loader-gguf/package.json'));
const llamaCpp = await import(pathToFileURL(fromLoader.resolve('node-llama-cpp')).href);
const supported = await llamaCpp.getLlamaGpuTypes('supported');
process.stdout.write(`node-llama-cpp GPU types usable here: ${JSON.stringify(supported)}\n`);
try {
  const gpu = values.gpu === 'false' ? false : values.gpu;
  const llama = await llamaCpp.getLlama({ gpu, build: 'never', logLevel: 'error' });
  const vram = await llama.getVramState();
  process.stdout.write(
    `node-llama-cpp with gpu=${values.gpu}: backend ${llama.gpu || 'cpu'}, devices ${JSON.stringify(await llama.getGpuDeviceNames())}, VRAM ${(vram.total / 2 ** 30).toFixed(1)} GiB (${(vram.free / 2 ** 30).toFixed(1)} free)\n`,
  );
  await llama.dispose();
} catch (error) {
  process.stdout.write(`node-llama-cpp with gpu=${values.gpu} cannot start: ${error.message}\n`);
  failures.push(`node-llama-cpp gpu=${values.gpu}`);
}
try {
  const fromEngine = createRequire(join(root, 'packages/engine-node/package.json'));
  const ort = await import(pathToFileURL(fromEngine.resolve('onnxruntime-node')).href);
  const list = (ort.listSupportedBackends ?? ort.default?.listSupportedBackends)?.();
  process.stdout.write(`onnxruntime-node execution providers: ${JSON.stringify(list)}\n`);
} catch (error) {
  process.stdout.write(`onnxruntime-node: ${error.message}\n`);
}

// 2. The GGUF bench on the GPU.
step(`GGUF bench (gpu=${values.gpu}, ${values.full ? 'full' : 'small'})`);
const benchOutput = run('pnpm', ['--filter', '@llmr/loader-gguf', 'bench'], {
  LLMR_BENCH_GPU: values.gpu,
  ...(values.full ? {} : { LLMR_BENCH_SMALL: '1' }),
});
const benchLine = benchOutput
  .split('\n')
  .reverse()
  .find((line) => line.startsWith('{"bench":"loader-gguf"'));
let backend = 'unknown';
if (benchLine) {
  const report = JSON.parse(benchLine);
  backend = report.backend;
  process.stdout.write(
    `bench ran llmr on ${report.backend}, node-llama-cpp alone on ${report.directBackend}\n`,
  );
} else failures.push('the bench printed no JSON line');

// 3. Conformance on the GPU.
step('conformance (loader-gguf loads default to gpu "auto"; engine-node tries CUDA)');
run('npx', [
  'vitest',
  'run',
  'packages/loader-gguf/src/gguf-loader.test.ts',
  'packages/loader-gguf/src/gpu-options.test.ts',
  'packages/engine-node/src/node-engine.test.ts',
]);

step('result');
process.stdout.write(`backend that ran: ${backend}\n`);
if (values.expect && backend !== values.expect)
  failures.push(`expected backend ${values.expect}, ran on ${backend}`);
if (failures.length) {
  process.stdout.write(`FAILED:\n${failures.map((failure) => `  - ${failure}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('GPU check passed.\n');
