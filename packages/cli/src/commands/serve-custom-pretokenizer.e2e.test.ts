/**
 * A tokenizer whose split regex llama.cpp has no name for, end to end as a user meets it:
 * `llmr convert` embeds the Hugging Face tokenizer in the GGUF, `llmr serve` (the built
 * binary, on 127.0.0.1) serves the file, and a greedy completion equals both the float64
 * reference on the original weights and `llmr run` on the original HF directory; the prompt
 * ids the server uses are the Hugging Face tokenizer's (@llmr/tokenizer), which llama.cpp's
 * own split of the same text is not.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PRE_TOKENIZER_PROBE_CORPUS } from '@llmr/convert';
import {
  CUSTOM_SPLIT_PATTERN,
  createTinyModel,
  referenceGreedy,
  type TinyModel,
  withSplitPattern,
} from '@llmr/fixtures';
import { loadTokenizer, type Tokenizer } from '@llmr/tokenizer';
import { getLlama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, type Served, serve } from './serve-test-process';

const exec = promisify(execFile);
// Digit pairs and three-letter runs: llama.cpp's default regex splits this otherwise.
const PROMPT = 'Once upon a time 12345 routers';
const STEPS = 8;

let dir: string;
let home: string;
let fixture: TinyModel;
let hfTokenizer: Tokenizer;
let gguf: string;
let served: Served | undefined;

async function llmr(...args: string[]) {
  const { stdout } = await exec(process.execPath, [bin, ...args], {
    timeout: 180_000,
    env: { ...process.env, LLMR_HOME: home },
  });
  return stdout;
}

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  dir = await mkdtemp(join(tmpdir(), 'llmr-serve-pretokenizer-'));
  home = join(dir, 'home');
  const hf = join(dir, 'custom-split');
  fixture = await createTinyModel({ dir: hf, kind: 'random', seed: 5, contextLength: 256 });
  const tokenizerJson = withSplitPattern(fixture.files['tokenizer.json'], CUSTOM_SPLIT_PATTERN);
  await writeFile(join(hf, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  hfTokenizer = loadTokenizer(tokenizerJson, fixture.files['tokenizer_config.json']);
  gguf = join(dir, 'custom-split.gguf');
  const converted = JSON.parse(
    await llmr('convert', hf, '--to', 'gguf', '--dtype', 'f32', '-o', gguf, '--json'),
  );
  expect(converted.notes.join('\n')).toMatch(/tokenizer\.huggingface\.json/);
  const starting = serve(['--model', `custom=${gguf}`], { LLMR_HOME: home });
  served = starting;
  await starting.ready;
}, 300_000);
afterAll(async () => {
  served?.child.kill('SIGTERM');
  await served?.exited;
  await rm(dir, { recursive: true, force: true });
});

async function post(path: string, body: Record<string, unknown>) {
  const response = await fetch(`${served!.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('llmr serve with a custom pre-tokenizer', () => {
  it("uses the Hugging Face prompt ids, which llama.cpp's own split does not give", async () => {
    const llama = await getLlama({ gpu: false, build: 'never' });
    const vocabulary = await llama.loadModel({ modelPath: gguf, vocabOnly: true });
    try {
      expect(vocabulary.tokenize(PROMPT, false)).not.toEqual(
        hfTokenizer.encode(PROMPT, { addSpecialTokens: false }),
      );
    } finally {
      await vocabulary.dispose();
      await llama.dispose();
    }
    for (const text of [PROMPT, ...PRE_TOKENIZER_PROBE_CORPUS]) {
      const result = await post('/v1/tokenize', { model: 'custom', input: text });
      expect(result.tokens, text).toEqual(hfTokenizer.encode(text, { addSpecialTokens: false }));
    }
  });

  it('answers a greedy completion with the reference text and the HF prompt length', async () => {
    const result = (await post('/v1/completions', {
      model: 'custom',
      prompt: PROMPT,
      max_tokens: STEPS,
      temperature: 0,
    })) as {
      choices: { text: string }[];
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    const promptIds = hfTokenizer.encode(PROMPT);
    const expected = referenceGreedy(fixture.config, fixture.weights, promptIds, STEPS);
    expect(result.choices[0]!.text).toBe(hfTokenizer.decode(expected));
    expect(result.usage.prompt_tokens).toBe(promptIds.length);
    // Running the original HF directory (converted on first use) gives the same text.
    const run = JSON.parse(
      await llmr(
        'run',
        join(dir, 'custom-split'),
        '-p',
        PROMPT,
        '--raw',
        '-t',
        '0',
        '-n',
        `${STEPS}`,
        '--json',
      ),
    );
    expect(run.tokens).toEqual(expected);
    expect(run.text).toBe(result.choices[0]!.text);
  }, 240_000);
});
