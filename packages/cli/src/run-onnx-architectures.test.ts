/**
 * `llmr run` on ONNX exports of the architectures beyond Llama (the built binary, through
 * loader-onnx on ONNX Runtime): each fixture with its quirks, converted by `llmr convert --to
 * onnx`, continues a prompt greedily with the float64 reference's tokens. The prompt is longer
 * than the sliding windows, so the local layers' masks matter.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTinyModel, referenceGreedy, type TinyModelOptions } from '@llmr/fixtures';
import { loadTokenizer } from '@llmr/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const exec = promisify(execFile);
const PROMPT = 'Once upon a time there was';
const STEPS = 6;

let dir: string;

async function llmr(...args: string[]) {
  const { stdout } = await exec(process.execPath, [bin, ...args], {
    timeout: 120_000,
    env: { ...process.env, LLMR_HOME: join(dir, 'home') },
  });
  return stdout;
}

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  dir = await mkdtemp(join(tmpdir(), 'llmr-run-onnx-arch-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cases: [string, Omit<TinyModelOptions, 'dir'>][] = [
  ['qwen2', { architecture: 'qwen2', hidden: 56, heads: 7, kvHeads: 1, intermediate: 120 }],
  ['mistral', { architecture: 'mistral', slidingWindow: 6 }],
  ['qwen3', { architecture: 'qwen3', hidden: 40, heads: 4, kvHeads: 2, headDim: 18 }],
  ['phi3', { architecture: 'phi3', hidden: 48, heads: 4, kvHeads: 2, intermediate: 76 }],
  [
    'gemma2',
    {
      architecture: 'gemma2',
      hidden: 40,
      heads: 2,
      kvHeads: 1,
      headDim: 24,
      layers: 3,
      attnLogitSoftcap: 2,
      finalLogitSoftcap: 4,
      slidingWindow: 5,
    },
  ],
  [
    'gemma3',
    {
      architecture: 'gemma3',
      hidden: 48,
      heads: 3,
      kvHeads: 1,
      headDim: 20,
      layers: 3,
      slidingWindow: 5,
      slidingWindowPattern: 3,
      finalLogitSoftcap: 6,
    },
  ],
];

describe('llmr run on ONNX exports of other architectures', () => {
  it.each(cases)(
    '%s gives the float64 reference tokens',
    async (name, options) => {
      const hf = join(dir, name);
      const fixture = await createTinyModel({ dir: hf, kind: 'random', seed: 3, ...options });
      const onnx = join(dir, `${name}-onnx`);
      await llmr('convert', hf, '--to', 'onnx', '-o', onnx);
      const run = JSON.parse(
        await llmr('run', onnx, '-p', PROMPT, '--raw', '-t', '0', '-n', `${STEPS}`, '--json'),
      );
      const tokenizer = loadTokenizer(
        fixture.files['tokenizer.json'],
        fixture.files['tokenizer_config.json'],
      );
      const expected = referenceGreedy(
        fixture.config,
        fixture.weights,
        tokenizer.encode(PROMPT),
        STEPS,
      );
      // Generation ends at the end-of-sequence token, which is not returned.
      const end = expected.indexOf(fixture.config.eosTokenId!);
      expect(run.tokens).toEqual(end < 0 ? expected : expected.slice(0, end));
      expect(run.tokens.length).toBeGreaterThanOrEqual(3);
    },
    180_000,
  );
});
