/**
 * A TF.js model through the built binary: `llmr convert --to tfjs` writes a graph model from
 * a Hugging Face directory, and `llmr run <folder> --raw --temperature 0 --json` gives the
 * float64 reference's greedy tokens on TF.js's cpu and wasm backends.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTinyModel, referenceGreedy, type TinyModel } from '@llmr/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuiltCli, builtCli } from './__fixtures__/run-built-cli';

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
  it('llmr convert --to tfjs, then llmr run gives the reference greedy tokens on cpu and wasm', async () => {
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
  }, 180_000);
});
