/**
 * A real browser: Debian's Chromium, headless, driven by playwright-core, with WebGPU on
 * SwiftShader (a CPU Vulkan implementation). A local page runs the engine conformance
 * checks and the tiny fixture model through @llmr/loader-onnx on engine-wasm and
 * engine-webgpu, and the same model as GGUF on @llmr/runtime-simple; greedy tokens must
 * equal the float64 reference.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`), or LLMR_CHROMIUM=<path>.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertHfToGguf, convertHfToOnnx } from '@llmr/convert';
import { tinyGraph } from '@llmr/engine-ort/testing';
import { createTinyModel, referenceGreedy } from '@llmr/fixtures';
import { build } from 'esbuild';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserTestInput, EngineReport, SimpleReport } from './__fixtures__/browser-entry';

const CHROMIUM = process.env.LLMR_CHROMIUM ?? '/usr/bin/chromium';
const here = dirname(fileURLToPath(import.meta.url));
const packages = join(here, '..', '..');
const PROMPT = 'The router sent';
const STEPS = 8;

interface Results {
  userAgent: string;
  selection: string;
  wasm: EngineReport;
  webgpu: EngineReport;
  simple: SimpleReport;
}

let server: Server | undefined;
let context: BrowserContext | undefined;
let work: string;
let results: Results;
let reference: number[];

async function bundle(): Promise<string> {
  // Workspace packages from source, as vitest's aliases do (`@llmr/core/test/kit` is the
  // kit's public entry without vitest).
  const sources: Record<string, string> = {
    '@llmr/core/test/kit': join(packages, 'core', 'src', 'test', 'kit', 'index.ts'),
  };
  for (const name of [
    'core',
    'engine-ort',
    'engine-wasm',
    'loader-onnx',
    'tokenizer',
    'runtime-simple',
    'kernels-wasm',
    'gguf',
    'binary-io',
    'safetensors',
    'sampling',
    'decoder',
  ])
    sources[`@llmr/${name}`] = join(packages, name, 'src', 'index.ts');
  const result = await build({
    entryPoints: [join(here, '__fixtures__', 'browser-entry.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    plugins: [
      {
        name: 'llmr-workspace',
        setup(builder) {
          builder.onResolve({ filter: /^@llmr\// }, (args) => {
            const path = sources[args.path];
            return path ? { path } : undefined;
          });
        },
      },
    ],
    // Node-only paths of the loaders (file system) are dynamic imports never taken here.
    external: ['node:*'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

function serve(routes: Record<string, Uint8Array | string>, folders: Record<string, string>) {
  return new Promise<{ server: Server; origin: string }>((resolve) => {
    const created = createServer(async (request, response) => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
      let body: Uint8Array | string | undefined = routes[path];
      if (body === undefined) {
        for (const [prefix, folder] of Object.entries(folders)) {
          if (!path.startsWith(prefix)) continue;
          const file = normalize(join(folder, path.slice(prefix.length)));
          if (file.startsWith(folder)) body = await readFile(file).catch(() => undefined);
        }
      }
      if (body === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, {
        'content-type':
          path === '/' ? TYPES['.html']! : (TYPES[extname(path)] ?? 'application/octet-stream'),
        'cache-control': 'no-store',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    });
    created.listen(0, '127.0.0.1', () => {
      const address = created.address() as { port: number };
      resolve({ server: created, origin: `http://127.0.0.1:${address.port}` });
    });
  });
}

function json(tensor: { type: string; dims: readonly number[]; data: ArrayLike<number | bigint> }) {
  return { type: tensor.type, dims: [...tensor.dims], data: Array.from(tensor.data, Number) };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: the browser tests need it. Install it with \`apt-get install -y chromium\` (Debian), or point LLMR_CHROMIUM at a Chromium binary.`,
    );
  }
  work = await mkdtemp(join(tmpdir(), 'llmr-browser-'));
  const tiny = await createTinyModel({ dir: join(work, 'hf'), kind: 'random' });
  const modelDir = join(work, 'model');
  await convertHfToOnnx({ input: tiny.dir, output: modelDir, dtype: 'f32' });
  const ggufPath = join(work, 'tiny-f32.gguf');
  await convertHfToGguf({ input: tiny.dir, output: ggufPath, dtype: 'f32' });
  const promptIds = [tiny.bpe.specialTokens['<|begin_of_text|>'], ...tiny.encode(PROMPT)];
  reference = referenceGreedy(tiny.config, tiny.weights, promptIds, STEPS);

  const graph = tinyGraph();
  const ortDist = join(dirname(fileURLToPath(import.meta.resolve('onnxruntime-web'))));
  const served = await serve(
    {
      '/': '<!doctype html><meta charset="utf-8"><title>llmr browser test</title><script type="module" src="/bundle.js"></script>',
      '/bundle.js': await bundle(),
      '/graph.onnx': graph.model,
      '/tiny-f32.gguf': await readFile(ggufPath),
    },
    { '/ort/': ortDist, '/model/': modelDir },
  );
  server = served.server;
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
      '--use-angle=swiftshader',
      '--use-webgpu-adapter=swiftshader',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const console: string[] = [];
  page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => console.push(`pageerror: ${error.message}`));
  await page.goto(`${served.origin}/`);
  await page
    .waitForFunction(() => 'runAll' in globalThis, undefined, { timeout: 30_000 })
    .catch(() => {
      throw new Error(`The test page did not start:\n${console.join('\n')}`);
    });
  const input: BrowserTestInput = {
    graphUrl: `${served.origin}/graph.onnx`,
    feeds: Object.fromEntries(
      Object.entries(graph.feeds).map(([name, value]) => [name, json(value)]),
    ) as never,
    expected: Object.fromEntries(
      Object.entries(graph.expected).map(([name, value]) => [name, json(value)]),
    ) as never,
    modelUrl: `${served.origin}/model/`,
    simpleModelUrl: `${served.origin}/tiny-f32.gguf`,
    prompt: PROMPT,
    steps: STEPS,
    modelChecks: true,
  };
  results = (await page.evaluate(
    (value) =>
      (globalThis as unknown as { runAll: (input: unknown) => Promise<unknown> }).runAll(value),
    input,
  )) as Results;
  process.stdout.write(
    `browser: ${results.userAgent}\nselection: ${results.selection}\n` +
      `wasm: ${JSON.stringify(results.wasm.timings)} webgpu: ${results.webgpu.reason} ${JSON.stringify(results.webgpu.timings)}\n` +
      `runtime-simple: ${results.simple.backend} ${JSON.stringify(results.simple.timings)}\n`,
  );
}, 300_000); // SwiftShader WebGPU in headless Chromium is slow on a loaded runner

afterAll(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (work) await rm(work, { recursive: true, force: true });
});

describe('in Chromium', () => {
  for (const engine of ['wasm', 'webgpu'] as const) {
    describe(`engine-${engine}`, () => {
      it('is available', () => {
        expect(results[engine].available, results[engine].reason).toBe(true);
      });

      it('passes the engine conformance checks', () => {
        const checks = results[engine].checks;
        expect(Object.keys(checks).length).toBeGreaterThanOrEqual(4);
        for (const [name, outcome] of Object.entries(checks)) expect(outcome, name).toBe('ok');
      });

      it('passes the model conformance checks (testModel) through @llmr/loader-onnx', () => {
        const checks = results[engine].modelChecks ?? {};
        expect(Object.keys(checks).length).toBeGreaterThanOrEqual(10);
        for (const [name, outcome] of Object.entries(checks)) expect(outcome, name).toBe('ok');
      });

      it('runs the fixture model through @llmr/loader-onnx: greedy tokens equal the float64 reference', () => {
        expect(results[engine].error).toBeUndefined();
        expect(results[engine].tokens).toEqual(reference);
      });
    });
  }

  it('engine-webgpu keeps the KV cache on the GPU', () => {
    expect(results.webgpu.kvCache).toBe('gpu-buffer');
    expect(results.webgpu.kvOnDevice).toBe(true);
  });

  describe('runtime-simple', () => {
    it('generates the float64 reference greedy tokens in the page on WASM SIMD', () => {
      expect(results.simple.error).toBeUndefined();
      expect(results.simple.backend).toBe('wasm-simd');
      expect(results.simple.tokens).toEqual(reference);
    });

    it('passes the model conformance checks (testModel)', () => {
      const checks = results.simple.modelChecks ?? {};
      expect(Object.keys(checks).length).toBeGreaterThanOrEqual(10);
      for (const [name, outcome] of Object.entries(checks)) expect(outcome, name).toBe('ok');
    });

    it('reports its engine-selector row as detected in the browser', () => {
      expect(results.simple.engine).toEqual({
        name: 'runtime-simple',
        device: 'cpu',
        available: true,
        reason: 'WASM SIMD128 kernels, on the calling thread',
      });
    });
  });

  it('the engine selector picks WebGPU over WASM and says why', () => {
    expect(results.selection).toMatch(/^onnxruntime-webgpu \(gpu\)/);
  });
});
