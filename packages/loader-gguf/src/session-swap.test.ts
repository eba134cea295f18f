import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelV1Message } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyGgufDirectory } from './__fixtures__/tiny-gguf';
import { createGgufLoader, type GgufModel } from './index';

const files = await tinyGgufDirectory();
const tiny = await files.write('random', 'f32', 3);
const swapDirectory = join(files.dir, 'sessions');
afterAll(() => files.remove());

const IDLE_MS = 60_000;
const logLines: string[] = [];
const loader = createGgufLoader({
  defaults: { contextLength: 512, sequences: 1, gpu: false, log: (line) => logLines.push(line) },
});

const question: ModelV1Message[] = [
  {
    role: 'user',
    content:
      'Here is a long history of the conversation so far, about routers, caches and the tokens they keep between turns.',
  },
];

/** The second turn: continues the first's answer. */
async function secondTurn(model: GgufModel, firstAnswer: string) {
  const before = model.stats.evaluatedTokens;
  const second = await model.doGenerate({
    messages: [
      ...question,
      { role: 'assistant', content: firstAnswer },
      { role: 'user', content: 'And then?' },
    ],
    maxTokens: 12,
    temperature: 0,
  });
  return { second, evaluated: model.stats.evaluatedTokens - before };
}

/** One conversation of two turns, with `between` run between them. */
async function twoTurns(model: GgufModel, between: () => Promise<void> = async () => {}) {
  const first = await model.doGenerate({ messages: question, maxTokens: 12, temperature: 0 });
  await between();
  return { first, ...(await secondTurn(model, first.text)) };
}

/** The files the swap wrote (one folder per loaded model under the configured directory). */
async function stateFiles(): Promise<string[]> {
  const folders = await readdir(swapDirectory).catch(() => []);
  const found: string[] = [];
  for (const folder of folders)
    for (const name of await readdir(join(swapDirectory, folder)))
      if (name.endsWith('.kv')) found.push(join(swapDirectory, folder, name));
  return found;
}

describe('idle sessions swapped to disk', () => {
  let reference: Awaited<ReturnType<typeof twoTurns>>;
  let fresh: Awaited<ReturnType<typeof secondTurn>>;

  beforeAll(async () => {
    // The reference: the same conversation on a model that keeps it in memory.
    const plain = await loader.doLoad(tiny.path);
    reference = await twoTurns(plain);
    await plain.dispose();
    // And the second turn alone on a new model: its whole prompt is evaluated.
    const empty = await loader.doLoad(tiny.path);
    fresh = await secondTurn(empty, reference.first.text);
    await empty.dispose();
  }, 120_000);

  it('refuses bad settings with the setting named', async () => {
    await expect(loader.doLoad(tiny.path, { sessionSwap: { idleMs: -1 } })).rejects.toThrow(
      /sessionSwap\.idleMs must be a number of milliseconds/,
    );
  });

  it('swaps an idle session out and back in: same greedy tokens, prompt not evaluated again', async () => {
    const model = await loader.doLoad(tiny.path, {
      sessionSwap: { idleMs: IDLE_MS, directory: swapDirectory },
    });
    try {
      let stateBefore = 0;
      const swapped = await twoTurns(model, async () => {
        // Not idle long enough yet: nothing moves.
        expect(await model.sessions!.swapOutIdle(Date.now())).toBe(0);
        stateBefore = model.stats.kvCacheBytes;
        expect(await model.sessions!.swapOutIdle(Date.now() + IDLE_MS + 1)).toBe(1);
        expect(model.stats.kvCacheBytes).toBeLessThan(stateBefore);
        expect(await stateFiles()).toHaveLength(1);
        expect(model.sessions!.stats).toMatchObject({ swappedOut: 1, sessionsOnDisk: 1 });
      });
      expect(swapped.first.tokens).toEqual(reference.first.tokens);
      expect(swapped.second.tokens).toEqual(reference.second.tokens);
      expect(swapped.second.text).toBe(reference.second.text);
      // The restored history is not evaluated again: as few tokens as with the session in memory.
      expect(swapped.second.usage.cachedInputTokens).toBe(reference.second.usage.cachedInputTokens);
      expect(swapped.evaluated).toBe(reference.evaluated);
      expect(swapped.evaluated).toBeLessThan(fresh.evaluated / 2);
      const stats = model.sessions!.stats;
      expect(stats).toMatchObject({ swappedIn: 1, fallbacks: 0, sessionsOnDisk: 0, diskBytes: 0 });
      expect(await stateFiles()).toHaveLength(0);
    } finally {
      await model.dispose();
    }
  }, 60_000);

  for (const [damage, spoil] of [
    [
      'altered',
      async (file: string) => {
        const bytes = await readFile(file);
        bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
        await writeFile(file, bytes);
      },
    ],
    ['truncated', (file: string) => truncate(file, 100)],
    ['missing', (file: string) => rm(file)],
  ] as const) {
    it(`falls back to evaluating the prompt, with a log line, when the file is ${damage}`, async () => {
      const model = await loader.doLoad(tiny.path, {
        sessionSwap: { idleMs: IDLE_MS, directory: swapDirectory },
      });
      logLines.length = 0;
      try {
        const swapped = await twoTurns(model, async () => {
          await model.sessions!.swapOutIdle(Date.now() + IDLE_MS + 1);
          const [file] = await stateFiles();
          await spoil(file!);
        });
        expect(swapped.second.tokens).toEqual(reference.second.tokens);
        expect(swapped.evaluated).toBe(fresh.evaluated);
        expect(model.sessions!.stats).toMatchObject({ swappedIn: 0, fallbacks: 1 });
        expect(logLines).toHaveLength(1);
        expect(logLines[0]).toMatch(/cannot be restored, .*; its prompt is evaluated again/);
      } finally {
        await model.dispose();
      }
    }, 60_000);
  }

  it('lets conversations share one sequence: each is saved when another takes its place', async () => {
    const model = await loader.doLoad(tiny.path, {
      sessionSwap: { idleMs: IDLE_MS, directory: swapDirectory },
    });
    try {
      const other: ModelV1Message[] = [
        {
          role: 'user',
          content:
            'A different conversation entirely, about gardens, rivers and the weather in the mountains last week.',
        },
      ];
      const swapped = await twoTurns(model, async () => {
        await model.sessions!.swapOutIdle(Date.now() + IDLE_MS + 1);
        // Another conversation takes the only sequence, then goes idle and to disk too.
        await model.doGenerate({ messages: other, maxTokens: 6, temperature: 0 });
        expect(await model.sessions!.swapOutIdle(Date.now() + IDLE_MS + 1)).toBe(1);
      });
      expect(swapped.second.tokens).toEqual(reference.second.tokens);
      expect(swapped.evaluated).toBe(reference.evaluated);
      expect(model.sessions!.stats).toMatchObject({
        swappedOut: 2,
        swappedIn: 1,
        sessionsOnDisk: 1,
      });
    } finally {
      await model.dispose();
    }
    // Disposing the model removes its files.
    expect(await stateFiles()).toHaveLength(0);
  }, 60_000);
});
