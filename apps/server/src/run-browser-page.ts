/**
 * Runs examples/browser-page the way a user would: `vite build`, the built folder and a
 * tiny GGUF model served by a static file server on 127.0.0.1, the page opened in headless
 * Chromium (playwright-core) and its form submitted. Returns what the page streamed and the
 * float64 reference forward pass's greedy tokens for the same prompt.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`), or LLMR_CHROMIUM=<path>.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { convertHfToGguf } from '@llmr/convert';
import { createTinyModel, referenceGreedy } from '@llmr/fixtures';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const CHROMIUM = process.env.LLMR_CHROMIUM ?? '/usr/bin/chromium';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.gguf': 'application/octet-stream',
};

export interface BrowserPageRun {
  /** Token ids the page streamed, in order. */
  tokens: number[];
  /** How many text deltas reached the page (more than one: it streamed). */
  deltas: number;
  text: string;
  status: string;
  reference: number[];
  /** The page's console and errors, for a failure's message. */
  log: string[];
}

/** Serves `folder` read-only on 127.0.0.1; paths outside it are 404. */
async function serveFolder(folder: string) {
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = normalize(join(folder, path === '/' ? 'index.html' : path));
    const body = file.startsWith(folder) ? await readFile(file).catch(() => undefined) : undefined;
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, close: () => server.close() };
}

export async function runBrowserPage(
  example: string,
  work: string,
  prompt: string,
  steps: number,
): Promise<BrowserPageRun> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: the browser-page example needs it. Install it with \`apt-get install -y chromium\` (Debian), or point LLMR_CHROMIUM at a Chromium binary.`,
    );
  }
  const outDir = join(work, 'site');
  await run(
    process.execPath,
    [join(example, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir],
    {
      cwd: example,
      timeout: 180_000,
    },
  );
  const tiny = await createTinyModel({ dir: join(work, 'hf'), kind: 'random' });
  await convertHfToGguf({ input: tiny.dir, output: join(outDir, 'model.gguf'), dtype: 'f32' });
  const promptIds = [tiny.bpe.specialTokens['<|begin_of_text|>']!, ...tiny.encode(prompt)];
  const reference = referenceGreedy(tiny.config, tiny.weights, promptIds, steps);

  const site = await serveFolder(outDir);
  const context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const log: string[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => log.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => log.push(`pageerror: ${error.message}`));
    await page.goto(`${site.origin}/`);
    await page.getByLabel('Prompt').fill(prompt);
    await page.getByLabel('Max tokens').fill(String(steps));
    await page.getByRole('button', { name: 'Generate' }).click();
    const output = page.locator('output#text');
    await output.and(page.locator('[data-done="true"]')).waitFor({ timeout: 120_000 });
    return {
      tokens: JSON.parse((await output.getAttribute('data-tokens')) ?? '[]') as number[],
      deltas: Number(await output.getAttribute('data-deltas')),
      text: (await output.textContent()) ?? '',
      status: (await page.locator('#status').textContent()) ?? '',
      reference,
      log,
    };
  } finally {
    await context.close();
    site.close();
  }
}
