/**
 * The console in a real browser: Debian's Chromium, headless, driven by playwright-core,
 * against a real llmr server on 127.0.0.1 over mock models behind an API key. The page is
 * built with Vite first, from this source. Screenshots land in apps/web/test-results/.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`), or LLMR_CHROMIUM=<path>.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockLoader } from '@llmr/loader-mock';
import { observeServer } from '@llmr/observability';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer, type LlmrServer } from '@llmr/server';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole, launchBrowser, screenshots } from './test-browser';

const KEY = 'console-test-key';
const ADMIN_KEY = 'console-admin-key';

let work: string;
let server: LlmrServer;
let origin: string;
let context: BrowserContext;
let page: Page;
const pageLog: string[] = [];

async function startServer(root: string) {
  const router = createRouter({
    loaders: [createMockLoader()],
    models: [
      { id: 'echo', source: 'mock:echo?tokenMs=5' },
      { id: 'spare', source: 'mock:random?seed=3' },
    ],
    routes: { main: { fallback: ['echo'] } },
    defaultRoute: 'main',
    retry: { maxRetries: 0 },
  });
  const backend = createRouterBackend(router, { defaultModel: 'echo' });
  await backend.preload();
  const created = await createServer({
    backend,
    logger: false,
    apiKeys: [KEY],
    console: { root },
  });
  // SLOs and an experiment, as `llmr serve --experiments` sets them up; only requests that
  // name a user take part in the experiment, so the playground's own requests stay out.
  // A second experiment only on /v1/completions, which no test calls: it stays at zero
  // requests and is there to be stopped. Promote and stop need ADMIN_KEY, as with
  // `llmr serve --admin-key`.
  await observeServer({
    server: created,
    router,
    isAdmin: (request) => request.headers['x-admin-key'] === ADMIN_KEY,
    experiments: [
      {
        id: 'echo-vs-spare',
        variants: [
          { name: 'control', model: 'echo' },
          { name: 'treatment', model: 'spare' },
        ],
      },
      {
        id: 'completions-trial',
        route: '/v1/completions',
        variants: [
          { name: 'control', model: 'echo' },
          { name: 'treatment', model: 'spare' },
        ],
      },
    ],
  });
  return { server: created, origin: await created.listen({ port: 0, host: '127.0.0.1' }) };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llmr-console-'));
  ({ server, origin } = await startServer(await buildConsole(work)));
  ({ context, page } = await launchBrowser(work, pageLog));
  await page.goto(`${origin}/`);
});

afterAll(async () => {
  await context?.close();
  await server?.shutdown();
  if (work) await rm(work, { recursive: true, force: true });
});

const loaded = async (id: string) =>
  (await server.shared.backend.listModels()).find((model) => model.id === id)?.loaded;

describe('the web console', () => {
  it('says the key is missing, then lists the models once it is typed in', async () => {
    const banner = page.getByRole('alert');
    await expect.poll(() => banner.textContent(), { timeout: 10_000 }).toContain('401');
    expect(await banner.textContent()).toContain('Check the API key');
    await page.getByLabel('API key').fill(KEY);
    await page.getByLabel('API key').press('Enter');
    await page.getByLabel('API key').dispatchEvent('change');
    await expect.poll(() => banner.isHidden()).toBe(true);
    const options = page.locator('#model option');
    await expect.poll(() => options.allTextContents()).toContain('echo');
    expect(await options.allTextContents()).toContain('spare');
  });

  it('streams a reply in the playground with the routing decision and timings', async () => {
    await page.getByLabel('Model or route').selectOption('echo');
    await page.getByLabel('System prompt').fill('Be brief.');
    await page.getByLabel('Message').fill('hello from the console');
    // The keyboard shortcut, not a click: the playground must work without a mouse.
    await page.getByLabel('Message').press('Control+Enter');
    const reply = page.locator('.message.assistant').last();
    await reply.locator('.text[aria-live="polite"]').waitFor();
    await expect.poll(() => reply.getAttribute('data-done'), { timeout: 15_000 }).not.toBeNull();
    expect(await reply.getAttribute('data-done'), pageLog.join('\n')).toBe('true');
    // The echo model repeats the last user message back, one token at a time.
    expect(await reply.locator('.text').textContent()).toBe('hello from the console');
    const meta = (await reply.locator('.meta').textContent()) ?? '';
    expect(meta).toContain('model: echo');
    expect(meta).toMatch(/TTFT \d+ ms/);
    expect(meta).toMatch(/\d+ chunks/);
    await page.screenshot({ path: join(screenshots, 'playground.png'), fullPage: true });
  });

  it('shows a server refusal in the error banner', async () => {
    await page.getByLabel('Max tokens').fill('-5');
    await page.getByLabel('Message').fill('this one is refused');
    await page.getByRole('button', { name: 'Send' }).click();
    const banner = page.getByRole('alert');
    await expect.poll(() => banner.textContent()).toMatch(/^400: .*max_tokens/s);
    await page.getByLabel('Max tokens').fill('64');
    // The next attempt clears the banner; the conversation goes on.
    await page.getByLabel('Message').fill('and this one works');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => banner.isHidden()).toBe(true);
    const reply = page.locator('.message.assistant').last();
    await expect.poll(() => reply.getAttribute('data-done'), { timeout: 15_000 }).toBe('true');
    expect(await reply.locator('.text').textContent()).toBe('and this one works');
  });

  it('loads and unloads a model from the models view', async () => {
    await page.getByRole('button', { name: 'Models' }).click();
    const row = page.locator('tr[data-model="spare"]');
    await expect.poll(() => row.getAttribute('data-loaded')).toBe('false');
    expect(await loaded('spare')).toBe(false);
    await page.getByRole('button', { name: 'load spare' }).click();
    await expect.poll(() => row.getAttribute('data-loaded')).toBe('true');
    expect(await row.locator('.state').textContent()).toBe('loaded');
    expect(await loaded('spare')).toBe(true);
    await page.screenshot({ path: join(screenshots, 'models.png'), fullPage: true });
    await page.getByRole('button', { name: 'unload spare' }).click();
    await expect.poll(() => row.getAttribute('data-loaded')).toBe('false');
    expect(await loaded('spare')).toBe(false);
    expect(await page.locator('#health').textContent()).toBe('Server: ready');
  });

  it('charts the requests and tokens it sees on /metrics', async () => {
    await page.getByRole('button', { name: 'Charts' }).click();
    const caption = (series: string) => page.locator(`figcaption[data-series="${series}"]`);
    const value = async (series: string) =>
      Number(/: ([\d.]+)/.exec((await caption(series).textContent()) ?? '')?.[1] ?? Number.NaN);
    // Traffic from outside the page, while it polls: the charts must see it.
    const traffic = setInterval(() => {
      fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'tick' }] }),
      }).catch(() => undefined);
    }, 100);
    try {
      await expect.poll(() => value('requestsPerSecond'), { timeout: 15_000 }).toBeGreaterThan(0);
      await expect.poll(() => value('tokensPerSecond'), { timeout: 15_000 }).toBeGreaterThan(0);
    } finally {
      clearInterval(traffic);
    }
    // Every chart has drawn a line: some pixels of each canvas are painted.
    const painted = await page.evaluate(() =>
      [...document.querySelectorAll('canvas')].map((canvas) => {
        const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height);
        return pixels
          ? pixels.data.filter((value, index) => index % 4 === 3 && value > 0).length
          : 0;
      }),
    );
    expect(painted).toHaveLength(4);
    for (const count of painted) expect(count).toBeGreaterThan(0);
    await page.screenshot({ path: join(screenshots, 'charts.png'), fullPage: true });
  });

  it('shows the SLOs and the experiment in the reliability view', async () => {
    for (const user of ['ada', 'bob', 'cy', 'dee', 'eve', 'fay']) {
      const response = await fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'echo',
          user,
          max_tokens: 4,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      expect(response.status).toBe(200);
    }
    await page.getByRole('button', { name: 'Reliability' }).click();
    const echo = page.locator('tr[data-slo="availability"][data-series*="model=echo"]');
    await expect.poll(() => echo.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await echo.first().locator('.sli').textContent()).toBe('100.00%');
    expect(await echo.first().locator('.budget').textContent()).toBe('100.00%');
    expect(await echo.first().locator('.alerts').textContent()).toBe('none');
    const experiment = page.locator('tr[data-experiment="echo-vs-spare"]');
    expect(await experiment.getAttribute('data-status')).toBe('running');
    const variants = (await experiment.locator('.variants').textContent()) ?? '';
    const requests = [...variants.matchAll(/(\d+) requests/g)].map((match) => Number(match[1]));
    expect(variants).toMatch(/^control: \d+ requests.*; treatment: \d+ requests/);
    // Every request that named a user was assigned to exactly one variant.
    expect(requests.reduce((sum, count) => sum + count, 0)).toBe(6);
    expect(await page.getByRole('alert').isHidden()).toBe(true);
    await page.screenshot({ path: join(screenshots, 'reliability.png'), fullPage: true });
  });

  it('promotes and stops experiments with the admin key, and says why without it', async () => {
    const reliability = page.locator('#reliability');
    const trial = page.locator('tr[data-experiment="completions-trial"]');
    const banner = page.getByRole('alert');
    // Without the admin key the server refuses, and the banner says what is needed.
    await trial.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => banner.textContent()).toContain('403');
    expect(await banner.textContent()).toContain('needs an admin key');
    expect(await trial.getAttribute('data-status')).toBe('running');

    await reliability.getByLabel('Admin key (for promote and stop)').fill(ADMIN_KEY);
    await trial.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => trial.getAttribute('data-status')).toBe('stopped');
    expect(await trial.locator('.status').textContent()).toBe('stopped, stopped from the console');
    expect(await banner.isHidden()).toBe(true);
    // A stopped experiment offers no more actions.
    expect(await trial.getByRole('button').count()).toBe(0);

    const experiment = page.locator('tr[data-experiment="echo-vs-spare"]');
    await experiment.getByLabel('Variant of echo-vs-spare to promote').selectOption('treatment');
    await experiment.getByRole('button', { name: 'Promote' }).click();
    await expect.poll(() => experiment.getAttribute('data-status')).toBe('stopped');
    expect(await experiment.locator('.status').textContent()).toContain('promoted treatment');
    expect(await reliability.locator('.note').last().textContent()).toBe(
      'Promoted treatment in echo-vs-spare.',
    );
    // The winner now serves everyone who takes part.
    const response = await fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'echo',
        user: 'zed',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(response.headers.get('x-llmr-model')).toBe('spare');
    await page.screenshot({ path: join(screenshots, 'experiments.png'), fullPage: true });
  });

  it('says the tenants view needs the gateway on a server without it', async () => {
    await page.getByRole('button', { name: 'Tenants' }).click();
    const note = page.locator('#tenants .note');
    await expect.poll(() => note.textContent()).toContain('runs without the gateway');
    expect(await page.getByRole('alert').isHidden()).toBe(true);
  });
});
