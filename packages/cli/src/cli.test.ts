/** Runs the built `llmr` binary as a user would (the root `pnpm test` builds first). */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const exec = promisify(execFile);

async function llmr(...args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, ...args], { timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('llmr CLI', () => {
  beforeAll(() => {
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  });

  it('prints help for the program and for run', async () => {
    const top = await llmr('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('run [options] <source>');
    const run = await llmr('run', '--help');
    expect(run.stdout).toMatch(/--max-tokens <n>/);
    expect(run.stdout).toMatch(/--json/);
  });

  it('run --json prints text, token ids, model and usage', async () => {
    const { code, stdout } = await llmr('run', 'mock:echo', '--prompt', 'héllo', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      text: 'héllo',
      tokens: [104, 195, 169, 108, 108, 111],
      model: 'mock:echo',
      usage: { outputTokens: 6 },
    });
  });

  it('is deterministic for a seed and honours --max-tokens', async () => {
    const a = JSON.parse(
      (await llmr('run', 'mock:random', '-p', 'x', '-n', '9', '-s', '4', '--json')).stdout,
    );
    const b = JSON.parse(
      (await llmr('run', 'mock:random', '-p', 'x', '-n', '9', '-s', '4', '--json')).stdout,
    );
    expect(a.text).toBe(b.text);
    expect(a.tokens).toHaveLength(9);
  });

  it('streams text to stdout and logs to stderr', async () => {
    const { code, stdout, stderr } = await llmr(
      'run',
      'mock:script?reply=Hi%20there',
      '--prompt',
      'x',
    );
    expect(code).toBe(0);
    expect(stdout).toBe('Hi there\n');
    expect(stderr).toContain('loaded mock:script?reply=Hi%20there with mock');
  });

  it('answers bad input with a clear message and a non-zero exit', async () => {
    const badNumber = await llmr('run', 'mock:random', '-p', 'x', '-n', 'abc');
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain('--max-tokens must be an integer; got "abc"');
    const unknown = await llmr('run', 'nothing-can-load-this.xyz', '-p', 'x');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No loader can load "nothing-can-load-this.xyz"/);
    const badOption = await llmr('run', 'mock:random', '-p', 'x', '--temperature', '-3');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('temperature must be at least 0');
  });
});

/** `llmr serve` on a free port; resolves once it prints its URL. */
async function startServe(args: string[], env: Record<string, string> = {}) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--quiet', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const address = () => /at (http:\/\/\S+)/.exec(stderr)?.[1];
  await expect.poll(address, { timeout: 30_000 }).toBeTruthy();
  return { child, url: address()!, stderr: () => stderr };
}

describe('llmr serve', () => {
  it('serves the built-in default model with no arguments and stops cleanly on SIGTERM', async () => {
    const home = await mkdtemp(join(tmpdir(), 'llmr-home-'));
    const { child, url, stderr } = await startServe([], { LLMR_HOME: home });
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'auto',
        messages: [{ role: 'user', content: 'Hello' }],
        max_tokens: 4,
      }),
    });
    expect(response.status).toBe(200);
    expect((await response.json()).model).toBe('llmr-default');
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr()).toContain('building the built-in default model');
    await rm(home, { recursive: true, force: true });
  });

  it('traces, measures SLOs, runs experiments and takes feedback when asked', async () => {
    const { createServer } = await import('node:http');
    const { writeFile } = await import('node:fs/promises');
    // An OTLP/HTTP receiver on loopback: it keeps the span names the exporter sends.
    const spanNames: string[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        for (const resource of JSON.parse(body).resourceSpans ?? [])
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? []) spanNames.push(span.name);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address() as { port: number };
    const dir = await mkdtemp(join(tmpdir(), 'llmr-observe-'));
    const experiments = join(dir, 'experiments.json');
    await writeFile(
      experiments,
      JSON.stringify([
        { id: 'temp', variants: [{ name: 'a' }, { name: 'b', parameters: { temperature: 0 } }] },
      ]),
    );
    const { child, url } = await startServe(
      [
        '--model',
        'hello=mock:script?reply=hi',
        '--otel-endpoint',
        `http://127.0.0.1:${address.port}/v1/traces`,
        // This receiver reads OTLP/JSON (the default is protobuf).
        '--otel-protocol',
        'http/json',
        '--experiments',
        experiments,
        '--admin-key',
        'secret',
      ],
      { OTEL_BSP_SCHEDULE_DELAY: '50' },
    );
    try {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'hello',
          user: 'u1',
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-llmr-experiment')).toMatch(/^temp=(a|b)$/);
      const { id } = (await response.json()) as { id: string };
      const feedback = await fetch(`${url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ responseId: id, thumbs: 'up' }),
      });
      expect(feedback.status).toBe(201);
      const slo = (await (await fetch(`${url}/api/slo`)).json()) as { data: { total: number }[] };
      expect(slo.data[0]?.total).toBe(1);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(
        /gen_ai_server_request_duration_seconds_count\{[^}]*"hello"[^}]*\} 1/,
      );
      const promote = (key: string) =>
        fetch(`${url}/api/experiments/temp/promote`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-admin-key': key },
          body: JSON.stringify({ variant: 'b' }),
        });
      expect((await promote('wrong')).status).toBe(403);
      expect((await promote('secret')).status).toBe(200);
      await expect
        .poll(() => spanNames, { timeout: 10_000 })
        .toEqual(expect.arrayContaining(['POST /v1/chat/completions', 'llmr.route', 'chat hello']));
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      receiver.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['--otel-detail', 'everything', '--otel-detail must be "full" or "requests"; got "everything"'],
    [
      '--otel-protocol',
      'grpc',
      '--otel-protocol must be "http/protobuf" or "http/json"; got "grpc"',
    ],
    [
      '--otel-context-manager',
      'zone',
      '--otel-context-manager must be "none" or "async-local-storage"; got "zone"',
    ],
  ])('refuses a %s it does not know, naming the choices', async (flag, value, message) => {
    const { code, stderr } = await llmr(
      'serve',
      '--port',
      '0',
      '--model',
      'hello=mock:script?reply=hi',
      '--otel-endpoint',
      'http://127.0.0.1:9/v1/traces',
      flag,
      value,
    );
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('says what is wrong with a bad config file', async () => {
    const { code, stderr } = await llmr('serve', '--config', '/nonexistent/llmr.json');
    expect(code).toBe(2);
    expect(stderr).toContain('Cannot read config file /nonexistent/llmr.json');
    const dir = await mkdtemp(join(tmpdir(), 'llmr-config-'));
    const path = join(dir, 'router.yaml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, 'models:\n  - id: a\n    source: mock:echo\n    quality: 7\n');
    const invalid = await llmr('serve', '--config', path);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/models\[0\]\.quality \(line 4, column 14\)/);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a --grpc-port outside 0-65535', async () => {
    const { code, stderr } = await llmr('serve', '--model', 'mock:echo', '--grpc-port', '70000');
    expect(code).toBe(2);
    expect(stderr).toContain('--grpc-port must be within 0-65535; got 70000.');
  });
});

describe('llmr convert, inspect, tokenize, bench', () => {
  it('converts an HF directory to GGUF, inspects it, tokenizes with it, runs and benchmarks it', async () => {
    const { createTinyModel } = await import('@llmr/fixtures');
    const dir = await mkdtemp(join(tmpdir(), 'llmr-cli-e2e-'));
    try {
      const hf = join(dir, 'tiny');
      const fixture = await createTinyModel({ dir: hf, kind: 'oracle' });
      const output = join(dir, 'tiny-q8_0.gguf');
      const converted = await llmr(
        'convert',
        hf,
        '--to',
        'gguf',
        '--dtype',
        'q8_0',
        '-o',
        output,
        '--json',
      );
      expect(converted.code).toBe(0);
      expect(JSON.parse(converted.stdout)).toMatchObject({
        output,
        format: 'gguf',
        dtype: 'q8_0',
        architecture: 'llama',
      });

      const inspected = JSON.parse((await llmr('inspect', output, '--json')).stdout);
      expect(inspected).toMatchObject({
        format: 'gguf',
        architecture: 'llama',
        fileTypeName: 'Q8_0',
        tensorCount: 21,
      });
      const inspectedDir = JSON.parse((await llmr('inspect', hf, '--json')).stdout);
      expect(inspectedDir).toMatchObject({
        format: 'hf-directory',
        architectures: ['LlamaForCausalLM'],
        weights: { format: 'safetensors', tensorCount: 21 },
      });

      const tokens = JSON.parse(
        (await llmr('tokenize', output, 'The lazy dog', '--no-special', '--json')).stdout,
      );
      expect(tokens.ids).toEqual(fixture.encode('The lazy dog'));
      const fromDir = JSON.parse(
        (await llmr('tokenize', hf, 'The lazy dog', '--no-special', '--json')).stdout,
      );
      expect(fromDir.ids).toEqual(tokens.ids);

      const run = JSON.parse(
        (
          await llmr(
            'run',
            output,
            '--prompt',
            'The lazy dog',
            '--raw',
            '-n',
            '6',
            '-t',
            '0',
            '--json',
          )
        ).stdout,
      );
      const { oracleContinuation } = await import('@llmr/fixtures');
      expect(run.tokens).toEqual(
        oracleContinuation(fixture.successor!, fixture.encode('The lazy dog').at(-1)!, 6),
      );

      const onnxDir = join(dir, 'tiny-onnx');
      const exported = await llmr(
        'convert',
        hf,
        '--to',
        'onnx',
        '--dtype',
        'f32',
        '-o',
        onnxDir,
        '--json',
      );
      expect(exported.code).toBe(0);
      for (const engine of ['node', 'wasm']) {
        const viaOnnx = await llmr(
          'run',
          onnxDir,
          '--prompt',
          'The lazy dog',
          '--raw',
          '-n',
          '6',
          '-t',
          '0',
          '--engine',
          engine,
          '--json',
        );
        expect(viaOnnx.code, viaOnnx.stderr).toBe(0);
        expect(JSON.parse(viaOnnx.stdout).tokens).toEqual(run.tokens);
      }
      const badEngine = await llmr('run', onnxDir, '--prompt', 'x', '--engine', 'tpu');
      expect(badEngine.code).toBe(2);
      expect(badEngine.stderr).toMatch(
        /No engine "tpu" is installed; available: onnxruntime-node, onnxruntime-wasm/,
      );

      const bench = await llmr(
        'bench',
        output,
        '--prompt-tokens',
        '16',
        '-n',
        '8',
        '--streams',
        '1',
        '--streams',
        '2',
        '--runs',
        '1',
        '--json',
      );
      expect(bench.code).toBe(0);
      const report = JSON.parse(bench.stdout.trim().split('\n').at(-1)!);
      expect(report.rows.map((row: { streams: number }) => row.streams)).toEqual([1, 2]);
      expect(report.rows[0].decodeTokensPerSecond).toBeGreaterThan(0);
      // No GPU where the tests run: the backend that ran is the CPU, and the figure is llama.cpp's.
      expect(report.backend).toBe('cpu');
      expect(report.residentBytes).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000); // seven CLI processes one after another: generous on a loaded runner

  it('explains bad paths and formats', async () => {
    const missing = await llmr('inspect', '/nonexistent/model.gguf');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Cannot open /nonexistent/model.gguf');
    const badTarget = await llmr('convert', '/tmp', '--to', 'tflite');
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('--to must be gguf, onnx or tfjs; got "tflite"');
  });
});
