/**
 * `llmr pull`, `llmr ls` and `llmr rm` in-process, against the hub test double from
 * @llmr/loader-hf/testing (a node:http server on 127.0.0.1 that speaks the hub's protocol).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, LlmrError } from '@llmr/core';
import { createHubTestServer, type HubTestServer } from '@llmr/loader-hf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgram } from '../program';
import { lsCommand } from './ls';
import { type CommandIo, pullCommand } from './pull';
import { rmCommand } from './rm';

const REPO = 'llmr/fake-GGUF';
let hub: HubTestServer;
let root: string;
let cacheDir: string;
const saved = { ...process.env };

beforeAll(async () => {
  hub = await createHubTestServer({
    repos: {
      [REPO]: {
        files: {
          'README.md': '# fake\n',
          'fake-Q4_K_M.gguf': randomBytes(300_000),
          'fake-Q8_0.gguf': randomBytes(500_000),
        },
      },
    },
  });
  root = await mkdtemp(join(tmpdir(), 'llmr-cli-hub-'));
  cacheDir = join(root, 'hub');
  process.env.HF_ENDPOINT = hub.url;
  process.env.HF_HUB_CACHE = cacheDir;
  delete process.env.HF_HUB_OFFLINE;
  delete process.env.HF_TOKEN;
});

afterAll(async () => {
  process.env = saved;
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

function capture(isTTY = false) {
  const out = { stdout: '', stderr: '' };
  let clock = 0;
  const io: CommandIo = {
    stdout: (text) => {
      out.stdout += text;
    },
    stderr: (text) => {
      out.stderr += text;
    },
    isTTY,
    // Each reading moves the clock 50 ms, so speeds are finite and bars redraw.
    now: () => (clock += 50),
  };
  return { io, out };
}

describe('llmr pull, ls, rm', () => {
  it('are registered on the program', () => {
    const names = createProgram().commands.map((command) => command.name());
    expect(names).toEqual(expect.arrayContaining(['pull', 'ls', 'rm']));
  });

  it('pull prints a line per file on a pipe and the local path on stdout', async () => {
    const { io, out } = capture();
    const result = await pullCommand(`hf:${REPO}:Q4_K_M`, {}, io);
    expect(out.stdout).toBe(`${result.localPath}\n`);
    expect(out.stderr).toMatch(/^downloading fake-Q4_K_M\.gguf \(300 kB\)$/m);
    expect(out.stderr).toMatch(/^done fake-Q4_K_M\.gguf 300 kB at [\d.]+ [kMG]?B\/s$/m);
    expect(out.stderr).toMatch(
      /pulled llmr\/fake-GGUF@[0-9a-f]{12}: fake-Q4_K_M\.gguf \(matches :Q4_K_M\); 1 file, 1 downloaded \(300 kB/,
    );
  });

  it('pull draws a bar per file with bytes and speed on a terminal', async () => {
    const { io, out } = capture(true);
    await pullCommand(`hf:${REPO}/fake-Q8_0.gguf`, { concurrency: 2 }, io);
    const lines = out.stderr.split('\n');
    expect(
      lines.some((line) =>
        /fake-Q8_0\.gguf +\[#{24}\] 100% +500 kB \/ 500 kB +[\d.]+ [kMG]?B\/s/.test(line),
      ),
    ).toBe(true);
    expect(out.stderr).toContain('\u001b[1A');
  });

  it('pull --json prints the result', async () => {
    const { io, out } = capture();
    await pullCommand(`hf:${REPO}:Q4_K_M`, { json: true }, io);
    const result = JSON.parse(out.stdout);
    expect(result).toMatchObject({ repo: REPO, layout: 'gguf', bytesTransferred: 0 });
    expect(result.files[0]).toMatchObject({ path: 'fake-Q4_K_M.gguf', status: 'cached' });
    expect(out.stderr).toBe('');
  });

  it('ls lists cached models with sizes, and --json', async () => {
    const table = capture();
    await lsCommand({}, table.io);
    expect(table.out.stdout).toMatch(/^SOURCE +SIZE +FILES +REVISIONS +MODIFIED$/m);
    expect(table.out.stdout).toMatch(/^hf:llmr\/fake-GGUF +800 kB +2 +[0-9a-f]{8} \(main\)/m);
    const json = capture();
    await lsCommand({ json: true }, json.io);
    const info = JSON.parse(json.out.stdout);
    expect(info.repos).toEqual([
      expect.objectContaining({ source: `hf:${REPO}`, size: 800_000, blobs: 2 }),
    ]);
    expect(info.repos[0].revisions[0].files).toEqual(['fake-Q4_K_M.gguf', 'fake-Q8_0.gguf']);
  });

  it('rm asks first (or needs --yes), then removes the repo', async () => {
    const noTerminal = { interactive: false, ask: async () => 'y' };
    const error = await rmCommand(`hf:${REPO}`, {}, capture().io, noTerminal).catch(
      (caught) => caught,
    );
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.message).toContain('pass --yes');

    const declined = capture();
    const questions: string[] = [];
    const no = {
      interactive: true,
      ask: async (question: string) => {
        questions.push(question);
        return 'n';
      },
    };
    expect(await rmCommand(`hf:${REPO}:Q8_0`, {}, declined.io, no)).toBeUndefined();
    expect(questions[0]).toMatch(
      /^Remove 1 file\(s\) of llmr\/fake-GGUF \(500 kB\) from .*\? \[y\/N\] $/,
    );
    expect(declined.out.stderr).toBe('Nothing removed.\n');

    const some = capture();
    await rmCommand(`hf:${REPO}:Q8_0`, { yes: true }, some.io, noTerminal);
    expect(some.out.stderr).toContain('removed 1 file(s) of llmr/fake-GGUF (500 kB)');

    const all = capture();
    const yes = { interactive: true, ask: async () => 'yes' };
    const removed = await rmCommand(`hf:${REPO}`, {}, all.io, yes);
    expect(removed).toMatchObject({ scope: 'repo', bytes: 300_000 });
    const empty = capture();
    await lsCommand({}, empty.io);
    expect(empty.out.stderr).toContain('No models in');

    const missing = await rmCommand(`hf:${REPO}`, { yes: true }, capture().io).catch(
      (caught) => caught,
    );
    expect(LlmrError.isInstance(missing)).toBe(true);
    expect(missing.message).toContain('is not in the cache');
  });
});
