import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer } from '../__fixtures__/test-server';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'llmr-console-routes-'));
  await mkdir(join(root, 'site', 'assets'), { recursive: true });
  await writeFile(join(root, 'site', 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(root, 'site', 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(join(root, 'site', 'assets', 'notes.txt'), 'not served');
  await writeFile(join(root, 'secret.json'), '{"secret":true}');
  await mkdir(join(root, 'empty'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the web console routes', () => {
  it('serve nothing at / unless asked for', async () => {
    const server = await createTestServer();
    expect((await server.app.inject({ url: '/' })).statusCode).toBe(404);
  });

  it('serve the page and its hashed assets without a key, while the API still needs one', async () => {
    const server = await createTestServer({
      apiKeys: ['k1'],
      console: { root: join(root, 'site') },
    });
    const page = await server.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).toContain('<title>console</title>');
    const script = await server.app.inject({ url: '/assets/index-abc.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toContain('immutable');
    expect((await server.app.inject({ url: '/api/models' })).statusCode).toBe(401);
    expect(
      (await server.app.inject({ url: '/api/models', headers: { authorization: 'Bearer k1' } }))
        .statusCode,
    ).toBe(200);
  });

  it('answer 404 for anything not read at startup, outside paths included', async () => {
    const server = await createTestServer({ console: { root: join(root, 'site') } });
    for (const url of [
      '/assets/missing.js',
      '/assets/notes.txt',
      '/assets/../../secret.json',
      '/assets/%2e%2e/%2e%2e/secret.json',
      '/index.html/../secret.json',
    ]) {
      const response = await server.app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body).not.toContain('"secret":true');
    }
  });

  it('refuse to start on a folder that is missing or holds no index.html', async () => {
    await expect(
      createTestServer({ console: { root: join(root, 'nowhere') } }),
    ).rejects.toMatchObject({
      code: 'console-missing',
      message: expect.stringContaining('does not exist; build @llmr/web'),
    });
    await expect(
      createTestServer({ console: { root: join(root, 'empty') } }),
    ).rejects.toMatchObject({
      code: 'console-missing',
      message: expect.stringContaining('has no index.html'),
    });
  });
});
