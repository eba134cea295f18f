/**
 * The gateway with the web console on: the page and its assets load without a key (a
 * browser cannot send one when it opens a page), every API call still needs one, and
 * with the console off nothing at `/` is public.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway } from '@llmr/gateway';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestRouter } from '../__fixtures__/test-router';
import { createRouterBackend, createServer, type LlmrServer } from '../index';

let work: string;
let gateway: Gateway;
const servers: LlmrServer[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llmr-gateway-console-'));
  await mkdir(join(work, 'assets'));
  await writeFile(join(work, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(work, 'assets/app.js'), 'console.log(1);');
  gateway = await createGateway({ database: 'pglite:memory' });
}, 120_000);
afterAll(async () => {
  for (const server of servers) await server.shutdown();
  await gateway?.close();
  await rm(work, { recursive: true, force: true });
});

async function start(withConsole: boolean): Promise<string> {
  const server = await createServer({
    backend: createRouterBackend(createTestRouter(), { defaultModel: 'echo' }),
    logger: false,
    gateway,
    ...(withConsole ? { console: { root: work } } : {}),
  });
  servers.push(server);
  return server.listen({ port: 0, host: '127.0.0.1' });
}

it('serves the console page and assets without a key, and guards every API call', async () => {
  const url = await start(true);
  const page = await fetch(`${url}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<title>console</title>');
  expect((await fetch(`${url}/assets/app.js`)).status).toBe(200);
  expect((await fetch(`${url}/assets/missing.js`)).status).toBe(404);
  expect((await fetch(`${url}/v1/models`)).status).toBe(401);
  expect((await fetch(`${url}/api/admin/tenants`)).status).toBe(401);
  const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
  // Only reading the page is public: any other method at / still needs a key.
  expect((await fetch(`${url}/`, post)).status).toBe(401);
});

it('keeps / guarded when the console is off', async () => {
  const url = await start(false);
  expect((await fetch(`${url}/`)).status).toBe(401);
  expect((await fetch(`${url}/assets/app.js`)).status).toBe(401);
});
