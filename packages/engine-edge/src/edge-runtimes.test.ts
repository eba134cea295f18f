import { createReadStream } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceGreedy } from '@llmr/fixtures';
import { simpleLoader } from '@llmr/runtime-simple';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEntry } from './__fixtures__/bundle';
import {
  binaryOf,
  freePort,
  generateOver,
  type RuntimeProcess,
  startProcess,
  waitForOutput,
  waitForPort,
} from './__fixtures__/runtime-process';
import { writeTinyGguf } from './__fixtures__/tiny-gguf';

const kernelsWasm = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../kernels-wasm/wasm/kernels.wasm',
);
const dir = await mkdtemp(join(tmpdir(), 'llmr-edge-'));
const { model, path: modelPath } = await writeTinyGguf(dir, {
  kind: 'random',
  seed: 5,
  dtype: 'f32',
});
const prompt = 'Once upon a time';
const steps = 10;
const expected = referenceGreedy(
  model.config,
  model.weights,
  [model.config.bosTokenId, ...model.encode(prompt)],
  steps,
);
const running: RuntimeProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((run) => run.stop()));
  await rm(dir, { recursive: true, force: true });
});

/** The kit's report, run inside the runtime: every check passed. */
async function expectConformance(answer: Promise<Response>) {
  const report = (await (await answer).json()) as { passed: string[]; failed: unknown[] };
  expect(report.failed).toEqual([]);
  expect(report.passed.length).toBeGreaterThan(5);
}

it('runtime-simple in Node gives the float64 reference tokens (the baseline)', async () => {
  const loaded = await simpleLoader.doLoad(modelPath, { contextLength: 512 });
  const result = await loaded.doGenerate({ prompt, maxTokens: steps, temperature: 0 });
  expect(result.tokens).toEqual(expected);
  await loaded.dispose();
});

describe.each(['deno', 'bun'] as const)('%s', (runtime) => {
  let base: string;
  beforeAll(async () => {
    const script = await bundleEntry('serve-entry.ts', join(dir, `serve-${runtime}.js`));
    const args =
      runtime === 'deno'
        ? ['run', '--allow-net=127.0.0.1', `--allow-read=${dir}`, '--allow-env', script]
        : ['run', script];
    const run = startProcess(binaryOf(runtime), args, { LLMR_MODEL: modelPath, NO_COLOR: '1' });
    running.push(run);
    const match = await waitForOutput(run, /listening (\w+) (\d+)/);
    expect(match[1]).toBe(runtime);
    base = `http://127.0.0.1:${match[2]}`;
  });

  it('streams the greedy reference tokens as SSE', async () => {
    const answer = await generateOver(base, { prompt, maxTokens: steps, temperature: 0 });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toContain('text/event-stream');
    expect(answer.tokens).toEqual(expected);
    expect(answer.parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
  });

  it('runs the WASM SIMD kernels', async () => {
    const response = await fetch(`${base}/v1/info`);
    expect(await response.json()).toMatchObject({
      backend: 'wasm-simd',
      // The selector row, detected inside the runtime itself.
      engine: {
        name: 'engine-edge',
        available: true,
        reason: `${runtime}: serveEdge on ${runtime === 'deno' ? 'Deno' : 'Bun'}.serve`,
      },
    });
  });

  it('answers bad input with 400 and a message', async () => {
    const answer = await fetch(`${base}/v1/generate`, { method: 'POST', body: '{"prompt": 3}' });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({
      error: { code: 'invalid-argument', message: expect.stringContaining('prompt') },
    });
  });

  it('passes the conformance kit run inside the runtime', async () => {
    await expectConformance(fetch(`${base}/v1/conformance`, { method: 'POST' }));
  });
});

/** A workerd config: the model as a bundled data binding, or fetched from a loopback origin. */
function workerdConfig(port: number, model: { binding: string } | { url: string }) {
  const modelBinding =
    'binding' in model
      ? `(name = "MODEL", data = embed "${model.binding}")`
      : `(name = "MODEL_URL", text = "${model.url}")`;
  // workerd's default outbound refuses private addresses; the loopback origin needs them.
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "kernels.wasm", wasm = embed "kernels.wasm"),
  ],
  bindings = [ ${modelBinding}, (name = "CONFORMANCE", text = "1") ],
  globalOutbound = "loopback",
  compatibilityDate = "2025-01-01",
  compatibilityFlags = ["nodejs_compat"],
);
`;
}

describe.each(['bundled', 'fetched'] as const)('workerd (model %s)', (delivery) => {
  let base: string;
  let workerd: RuntimeProcess;
  // workerd logs a failing script to its stderr; show it with the failure.
  const withLog = <T>(promise: Promise<T>) =>
    promise.catch((error: unknown) => {
      throw new Error(`${String(error)}; workerd said:\n${workerd.output()}`);
    });
  beforeAll(async () => {
    await bundleEntry('workerd-entry.ts', join(dir, 'worker.js'));
    await copyFile(kernelsWasm, join(dir, 'kernels.wasm'));
    const port = await freePort();
    let model: { binding: string } | { url: string } = { binding: basename(modelPath) };
    if (delivery === 'fetched') {
      const origin = createServer((_request, response) => {
        createReadStream(modelPath).pipe(response);
      });
      await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
      afterAll(() => new Promise<void>((resolve) => origin.close(() => resolve())));
      const address = origin.address() as AddressInfo;
      model = { url: `http://127.0.0.1:${address.port}/model.gguf` };
    }
    const config = join(dir, `config-${delivery}.capnp`);
    await writeFile(config, workerdConfig(port, model));
    const run = startProcess(binaryOf('workerd'), ['serve', config, '--verbose']);
    running.push(run);
    workerd = run;
    await waitForPort(run, port);
    base = `http://127.0.0.1:${port}`;
  });

  it('runs the WASM SIMD kernels from the linked kernels.wasm module', async () => {
    const response = await withLog(fetch(`${base}/v1/info`));
    expect(await response.json()).toMatchObject({
      backend: 'wasm-simd',
      info: { format: 'gguf' },
      engine: { name: 'engine-edge', available: true, reason: expect.stringMatching(/^workerd: /) },
    });
  });

  it('streams the greedy reference tokens as SSE', async () => {
    const answer = await withLog(generateOver(base, { prompt, maxTokens: steps, temperature: 0 }));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.tokens).toEqual(expected);
  });

  it('passes the conformance kit run inside workerd', async () => {
    await expectConformance(withLog(fetch(`${base}/v1/conformance`, { method: 'POST' })));
  });
});
