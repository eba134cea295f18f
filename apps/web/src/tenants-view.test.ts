/**
 * The tenants view in headless Chromium against a real server with the gateway (its
 * embedded PGlite database in memory): an admin key sees each tenant's keys and usage,
 * an inference-only key is told it needs the admin scope.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway } from '@llmr/gateway';
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer, type LlmrServer } from '@llmr/server';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildConsole, launchBrowser, screenshots } from './test-browser';

let work: string;
let gateway: Gateway;
let server: LlmrServer;
let origin: string;
let context: BrowserContext;
let page: Page;
let keys: { admin: string; inference: string };
const pageLog: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llmr-console-tenants-'));
  const root = await buildConsole(work);
  gateway = await createGateway({
    database: 'pglite:memory',
    prices: { echo: { inputPerMillion: 1000, outputPerMillion: 2000 } },
  });
  await gateway.tenants.create({ name: 'ops' });
  await gateway.tenants.create({ name: 'research' });
  const revoked = await gateway.keys.create({ tenant: 'research' });
  await gateway.keys.revoke(revoked.record.id);
  keys = {
    admin: (await gateway.keys.create({ tenant: 'ops', scopes: ['inference', 'metrics', 'admin'] }))
      .key,
    inference: (await gateway.keys.create({ tenant: 'research' })).key,
  };
  const router = createRouter({
    loaders: [createMockLoader()],
    models: [{ id: 'echo', source: 'mock:echo' }],
  });
  server = await createServer({
    backend: createRouterBackend(router, { defaultModel: 'echo' }),
    logger: false,
    gateway,
    console: { root },
  });
  origin = await server.listen({ port: 0, host: '127.0.0.1' });
  ({ context, page } = await launchBrowser(work, pageLog));
  await page.goto(`${origin}/`);
}, 300_000);

afterAll(async () => {
  await context?.close();
  await server?.shutdown();
  await gateway?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function useKey(key: string) {
  await page.getByLabel('API key').fill(key);
  await page.getByLabel('API key').dispatchEvent('change');
}

it("shows each tenant's keys and usage to an admin, and asks others for an admin key", async () => {
  for (let request = 0; request < 3; request++) {
    const response = await fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.inference}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(response.status).toBe(200);
  }
  await useKey(keys.inference);
  await page.getByRole('button', { name: 'Tenants' }).click();
  const note = page.locator('#tenants .note');
  await expect.poll(() => note.textContent()).toContain('admin scope');

  await useKey(keys.admin);
  await page.locator('#tenants').getByRole('button', { name: 'Refresh' }).click();
  const research = page.locator('tr[data-tenant="research"]');
  // Usage is written after each response; poll until all three requests are counted.
  await expect
    .poll(
      async () => {
        await page.locator('#tenants').getByRole('button', { name: 'Refresh' }).click();
        return research.locator('.requests').textContent();
      },
      { timeout: 15_000 },
    )
    .toBe('3');
  expect(await research.locator('.keys').textContent()).toBe('1 active, 1 revoked');
  expect(await research.locator('.errors').textContent()).toBe('0');
  const tokens = /^(\d+) \/ (\d+)$/.exec((await research.locator('.tokens').textContent()) ?? '');
  const [inputTokens, outputTokens] = [Number(tokens?.[1]), Number(tokens?.[2])];
  expect(inputTokens).toBeGreaterThan(0);
  expect(outputTokens).toBeGreaterThan(0);
  // The gateway's prices above: $1,000 and $2,000 per million tokens in and out.
  const cost = (inputTokens * 1000 + outputTokens * 2000) / 1e6;
  expect(await research.locator('.cost').textContent()).toBe(`$${cost.toFixed(6)}`);
  const ops = page.locator('tr[data-tenant="ops"]');
  expect(await ops.locator('.keys').textContent()).toBe('1 active, 0 revoked');
  expect(await ops.locator('.requests').textContent()).toBe('0');
  expect(await note.textContent()).toBe('');
  // Every poll and call now carries a key with the scopes it needs: no error stays up.
  await expect.poll(() => page.getByRole('alert').isHidden()).toBe(true);
  await page.screenshot({ path: join(screenshots, 'tenants.png'), fullPage: true });
}, 120_000);

it('creates a key for a tenant, shows it once, and revokes it; a refused create says why', async () => {
  await useKey(keys.admin);
  await page.getByRole('button', { name: 'Tenants' }).click();
  const tenants = page.locator('#tenants');
  const form = tenants.getByRole('form', { name: 'Create a key' });
  const banner = page.getByRole('alert');
  await expect
    .poll(() => form.getByLabel('Tenant').locator('option').allTextContents())
    .toEqual(['ops', 'research']);

  // No scope ticked: the gateway refuses the key, and the banner carries its reason.
  await form.getByLabel('Tenant').selectOption('research');
  await form.getByLabel('Key name').fill('ci-bot');
  await form.getByLabel('inference').uncheck();
  await form.getByRole('button', { name: 'Create key' }).click();
  await expect.poll(() => banner.textContent()).toContain('400');
  expect(await banner.textContent()).toContain('scopes');

  await form.getByLabel('inference').check();
  await form.getByRole('button', { name: 'Create key' }).click();
  const created = form.locator('output.created-key');
  await expect.poll(() => created.getAttribute('data-key')).toMatch(/^llmr-sk-/);
  expect(await banner.isHidden()).toBe(true);
  const newKey = (await created.getAttribute('data-key'))!;
  const row = tenants.locator('tr[data-key="ci-bot"]');
  await expect.poll(() => row.getAttribute('data-state')).toBe('active');
  expect(await row.locator('.scopes').textContent()).toBe('inference');
  const chat = () =>
    fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${newKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    });
  expect((await chat()).status).toBe(200);
  await page.screenshot({ path: join(screenshots, 'keys-created.png'), fullPage: true });

  await row.getByRole('button', { name: 'Revoke ci-bot' }).click();
  await expect.poll(() => row.getAttribute('data-state')).toBe('revoked');
  expect(await row.getByRole('button').count()).toBe(0);
  expect((await chat()).status).toBe(401);
  expect(await banner.isHidden()).toBe(true);
}, 120_000);
