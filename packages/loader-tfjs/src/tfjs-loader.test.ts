/**
 * A Hugging Face directory converted to a TF.js graph model (`convertHfToTfjs`) generates
 * through the registry loader the float64 reference's greedy tokens on the cpu and wasm
 * backends, from a directory, a loopback HTTP server and bytes; concurrent requests share
 * batched runs and give what each gives alone. Folders that are not llmr models are refused.
 */

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertHfToTfjs } from '@llmr/convert';
import { collectStream, LlmrError, type ModelV1 } from '@llmr/core';
import { createTinyModel, referenceGreedy, type TinyModel } from '@llmr/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTfjsLoader, loadTfjsModelV1, tfjsLoader } from './tfjs-loader';

let dir: string;
let fixture: TinyModel;
let converted: string;
let server: Server;
let baseUrl: string;
/** Bytes the loopback server sent, by path (bounded reads stop early). */
const served = new Map<string, number>();

async function generate(model: ModelV1, prompt: string, maxTokens = 8) {
  const { stream } = await model.doStream({ prompt, maxTokens, temperature: 0 });
  return collectStream(stream);
}

const confidence = async (source: string) => {
  const answer = await tfjsLoader.canLoad(source);
  return { confidence: typeof answer === 'number' ? answer : answer.confidence };
};

const expectedTokens = (model: ModelV1, prompt: string, steps = 8) =>
  referenceGreedy(
    fixture.config,
    fixture.weights,
    (model as ModelV1 & { tokenizer: { encode(text: string): number[] } }).tokenizer.encode(prompt),
    steps,
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-tfjs-loader-'));
  // Grouped-query attention (4 heads over 2 KV heads) exercises the folded query groups.
  fixture = await createTinyModel({ dir: join(dir, 'hf'), kind: 'random', seed: 3, kvHeads: 2 });
  converted = join(dir, 'tfjs');
  // Small shards, so a model spans several files as large ones do.
  await convertHfToTfjs({ input: fixture.dir, output: converted, shardBytes: 64 * 1024 });
  server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const [, folder, ...rest] = path.split('/');
    const root = folder === 'model' ? converted : folder === 'hostile' ? join(dir, 'hostile') : '';
    const file = root ? await readFile(join(root, ...rest)).catch(() => undefined) : undefined;
    if (!file) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    // Sent in 16 KiB pieces, so a reader that stops early leaves the rest unsent.
    let sent = 0;
    for (let offset = 0; offset < file.byteLength && !response.destroyed; offset += 16384) {
      const piece = file.subarray(offset, offset + 16384);
      sent += piece.byteLength;
      if (!response.write(piece))
        await new Promise<void>((resolve) => {
          const done = () => {
            response.off('drain', done);
            response.off('close', done);
            resolve();
          };
          response.on('drain', done);
          response.on('close', done);
        });
    }
    served.set(path, sent);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('a converted TF.js decoder through the registry loader', () => {
  it('is recognised by its folder: model.json with tokenizer.json beside it', async () => {
    expect((await confidence(converted)).confidence).toBeGreaterThan(0.9);
    expect((await confidence(join(converted, 'model.json'))).confidence).toBeGreaterThan(0.9);
    expect((await confidence(fixture.dir)).confidence).toBe(0);
    expect((await confidence(`${baseUrl}/model/model.json`)).confidence).toBeGreaterThan(0);
    const shards = (await readdir(converted)).filter((name) => name.endsWith('.bin'));
    expect(shards.length).toBeGreaterThan(1);
  });

  it.each(['cpu', 'wasm'])('gives the float64 reference greedy tokens on %s', async (backend) => {
    const model = await tfjsLoader.doLoad(converted, { backend });
    try {
      expect(model.info.format).toBe('tfjs');
      for (const prompt of ['Once upon a time', 'The quick brown fox']) {
        const result = await generate(model, prompt);
        expect(result.tokens).toEqual(expectedTokens(model, prompt));
        expect(result.tokens).toHaveLength(8);
      }
    } finally {
      await model.dispose();
    }
  });

  it('batches concurrent requests (left-padded caches) and each gets its own answer', async () => {
    const model = (await tfjsLoader.doLoad(converted)) as ModelV1 & {
      stats: { batchedRuns: number };
    };
    try {
      const prompts = ['Once upon a time', 'The lazy dog', 'A token is'];
      const together = await Promise.all(prompts.map((prompt) => generate(model, prompt, 6)));
      expect(together.map((result) => result.tokens)).toEqual(
        prompts.map((prompt) => expectedTokens(model, prompt, 6)),
      );
      expect(model.stats.batchedRuns).toBeGreaterThan(0);
    } finally {
      await model.dispose();
    }
  });

  it('loads from a loopback HTTP server and from bytes alike', async () => {
    const prompt = 'Once upon a time';
    const fromUrl = await tfjsLoader.doLoad(`${baseUrl}/model/model.json`);
    const bytes = {
      modelJson: await readFile(join(converted, 'model.json')),
      shards: {},
      files: {},
    };
    for (const name of await readdir(converted)) {
      const data = await readFile(join(converted, name));
      if (name.endsWith('.bin')) (bytes.shards as Record<string, Uint8Array>)[name] = data;
      else (bytes.files as Record<string, Uint8Array>)[name] = data;
    }
    const fromBytes = await loadTfjsModelV1({ ...bytes, name: 'tiny' });
    try {
      expect((await generate(fromUrl, prompt)).tokens).toEqual(expectedTokens(fromUrl, prompt));
      expect((await generate(fromBytes, prompt)).tokens).toEqual(expectedTokens(fromBytes, prompt));
      expect(fromBytes.info.id).toBe('tiny');
    } finally {
      await fromUrl.dispose();
      await fromBytes.dispose();
    }
  });
});

describe('folders and URLs that are not llmr TF.js models are refused with a code', () => {
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error) => (LlmrError.isInstance(error) ? error.code : String(error)),
    );

  it('a missing tokenizer, a broken config, a missing folder, an unknown backend', async () => {
    const noTokenizer = join(dir, 'no-tokenizer');
    await convertHfToTfjs({ input: fixture.dir, output: noTokenizer });
    await rm(join(noTokenizer, 'tokenizer.json'));
    expect(await code(tfjsLoader.doLoad(noTokenizer))).toBe('tfjs-missing-file');
    expect((await confidence(noTokenizer)).confidence).toBe(0);
    await writeFile(join(noTokenizer, 'tokenizer.json'), '{"model":');
    expect(await code(tfjsLoader.doLoad(noTokenizer))).toBe('tfjs-invalid-json');
    expect(await code(tfjsLoader.doLoad(join(dir, 'nowhere')))).toBe('tfjs-not-found');
    expect(await code(createTfjsLoader({ backend: 'gpu9' }).doLoad(converted))).toBe(
      'invalid-argument',
    );
  });

  it('a shard longer than its manifest says, over HTTP: refused without downloading it all', async () => {
    const hostile = join(dir, 'hostile');
    await convertHfToTfjs({ input: fixture.dir, output: hostile });
    const [shard] = (await readdir(hostile)).filter((name) => name.endsWith('.bin'));
    const original = await readFile(join(hostile, shard!));
    // 8 MiB of padding after the real weights.
    await writeFile(join(hostile, shard!), Buffer.concat([original, Buffer.alloc(8 << 20)]));
    expect(await code(tfjsLoader.doLoad(`${baseUrl}/hostile/model.json`))).toBe(
      'tfjs-shard-size-mismatch',
    );
    expect(served.get(`/hostile/${shard}`) ?? 0).toBeLessThan(original.byteLength + (4 << 20));
    await writeFile(join(hostile, 'model.json'), 'x'.repeat(2048));
    expect(
      await code(
        tfjsLoader.doLoad(`${baseUrl}/hostile/model.json`, { limits: { maxManifestBytes: 1024 } }),
      ),
    ).toBe('tfjs-limit-exceeded');
    expect(await code(tfjsLoader.doLoad(`${baseUrl}/missing/model.json`))).toBe(
      'tfjs-missing-file',
    );
  });

  it('a graph that is neither a decoder nor an encoder', async () => {
    const other = join(dir, 'other');
    await convertHfToTfjs({ input: fixture.dir, output: other });
    const manifest = JSON.parse(await readFile(join(other, 'model.json'), 'utf8'));
    // Keep the graph, rename its interface: no past_key_values inputs.
    manifest.signature.inputs = { input_ids: manifest.signature.inputs.input_ids };
    manifest.signature.outputs = { logits: manifest.signature.outputs.logits };
    await writeFile(join(other, 'model.json'), JSON.stringify(manifest));
    expect(await code(tfjsLoader.doLoad(other))).toBe('tfjs-unsupported-graph');
  });
});
