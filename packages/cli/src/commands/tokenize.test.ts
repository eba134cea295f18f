/** `llmr tokenize` in process: `--text` (also text starting with a dash), the shorthand, JSON. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@llmr/core';
import { createTinyModel } from '@llmr/fixtures';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createProgram } from '../program';

const root = await mkdtemp(join(tmpdir(), 'llmr-cli-tokenize-'));
const dir = join(root, 'tiny');
const fixture = await createTinyModel({ dir, kind: 'oracle' });

afterAll(() => rm(root, { recursive: true, force: true }));

async function tokenize(...args: string[]): Promise<string> {
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    await createProgram().parseAsync(['tokenize', dir, ...args], { from: 'user' });
  } finally {
    write.mockRestore();
  }
  return out;
}

describe('llmr tokenize', () => {
  it('--json prints {"ids": [...], ...} for --text', async () => {
    const out = await tokenize('--text', 'The lazy dog', '--no-special', '--json');
    expect(out.startsWith('{"ids":[')).toBe(true);
    const parsed = JSON.parse(out);
    expect(parsed.ids).toEqual(fixture.encode('The lazy dog'));
    expect(parsed).toMatchObject({ count: parsed.ids.length });
    expect(parsed.tokens).toHaveLength(parsed.ids.length);
  });

  it('takes text that begins with "-", as --text=-x and as --text -x', async () => {
    const expected = fixture.encode('-x --json');
    const joined = JSON.parse(await tokenize('--text=-x --json', '--no-special', '--json'));
    const separate = JSON.parse(await tokenize('--text', '-x --json', '--no-special', '--json'));
    expect(joined.ids).toEqual(expected);
    expect(separate.ids).toEqual(expected);
    const short = JSON.parse(await tokenize('-t', '-x', '--no-special', '--json'));
    expect(short.ids).toEqual(fixture.encode('-x'));
  });

  it('keeps the positional words as a shorthand for --text', async () => {
    const positional = JSON.parse(await tokenize('The', 'lazy', 'dog', '--no-special', '--json'));
    expect(positional.ids).toEqual(fixture.encode('The lazy dog'));
    expect(await tokenize('The lazy dog', '--no-special')).toBe(
      await tokenize('--text', 'The lazy dog', '--no-special'),
    );
  });

  it('refuses no text, or text given twice, saying what to pass', async () => {
    const none = await tokenize('--json').catch((error: unknown) => error);
    expect(InvalidArgumentError.isInstance(none)).toBe(true);
    expect((none as Error).message).toContain('--text=-x');
    const twice = await tokenize('words', '--text', 'more').catch((error: unknown) => error);
    expect(InvalidArgumentError.isInstance(twice)).toBe(true);
    expect((twice as Error).message).toMatch(/Give the text once/);
  });
});
