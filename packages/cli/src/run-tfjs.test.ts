/**
 * A TF.js model through the built binary: `llmr convert --to tfjs` writes a graph model from
 * a Hugging Face directory, and `llmr run <folder> --raw --temperature 0 --json` gives the
 * float64 reference's greedy tokens on TF.js's cpu and wasm backends, and `llmr serve --model <folder>`
 * answers /v1/completions with their text.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTinyModel, referenceGreedy, type TinyModel } from '@llmr/fixtures';
import { loadTokenizer } from '@llmr/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuiltCli, builtCli, builtCliPath } from './__fixtures__/run-built-cli';

let dir: string;
let fixture: TinyModel;

const llmr = builtCli(() => join(dir, 'home'));

beforeAll(async () => {
  assertBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'llmr-cli-tfjs-'));
  fixture = await createTinyModel({ dir: join(dir, 'hf'), kind: 'random', seed: 2, kvHeads: 2 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('llmr run on a TF.js model', () => {
  it('llmr convert --to tfjs, then llmr run (cpu, wasm) and llmr serve give the reference greedy tokens', async () => {
    const output = join(dir, 'tfjs');
    const converted = await llmr('convert', fixture.dir, '--to', 'tfjs', '-o', output, '--json');
    expect(converted.code, converted.stderr).toBe(0);
    expect(JSON.parse(converted.stdout)).toMatchObject({ format: 'tfjs', dtype: 'f32' });
    expect(await readdir(output)).toEqual(
      expect.arrayContaining(['model.json', 'tokenizer.json', 'config.json']),
    );
    const prompt = 'The router sent';
    const expected = referenceGreedy(
      fixture.config,
      fixture.weights,
      [fixture.config.bosTokenId, ...fixture.encode(prompt)],
      8,
    );
    for (const engine of ['cpu', 'wasm']) {
      const run = await llmr(
        'run',
        output,
        '--prompt',
        prompt,
        '--raw',
        '-n',
        '8',
        '--temperature',
        '0',
        '--engine',
        engine,
        '--json',
      );
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).tokens, engine).toEqual(expected);
    }

    // The same folder behind `llmr serve --model`: /v1/completions answers with those tokens' text.
    const child = spawn(
      process.execPath,
      [builtCliPath, 'serve', '--port', '0', '--quiet', '--model', output],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LLMR_HOME: join(dir, 'home') },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    try {
      const address = () => /at (http:\/\/\S+)/.exec(stderr)?.[1];
      await expect.poll(address, { timeout: 60_000 }).toBeTruthy();
      const models = (await (await fetch(new URL('/v1/models', address()!))).json()) as {
        data: { id: string }[];
      };
      const response = await fetch(new URL('/v1/completions', address()!), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: models.data[0]!.id, prompt, max_tokens: 8, temperature: 0 }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const body = (await response.json()) as { choices: { text: string }[] };
      const tokenizer = loadTokenizer(
        fixture.files['tokenizer.json'],
        fixture.files['tokenizer_config.json'] as never,
      );
      expect(body.choices[0]!.text).toBe(tokenizer.decode(expected));
    } finally {
      child.kill();
    }
  }, 240_000);
});
