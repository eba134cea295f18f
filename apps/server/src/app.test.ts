/** The example config is valid and serves: both models load and the route answers. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ggufLoader } from '@llmr/loader-gguf';
import { createRouterFromFile } from '@llmr/router';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeModels } from './make-models';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-app-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('the reference config serves both models through its route', async () => {
  await makeModels(join(dir, 'models'));
  const config = await readFile(new URL('../llmr.yaml', import.meta.url), 'utf8');
  const path = join(dir, 'llmr.yaml');
  await writeFile(path, config.replaceAll('./models/', `${join(dir, 'models')}/`));
  const router = await createRouterFromFile(path, { loaders: [ggufLoader] });
  try {
    expect(router.listModels().map((listing) => `${listing.kind}:${listing.id}`)).toEqual([
      'model:bigram',
      'model:oracle',
      'route:chat',
      'alias:default',
    ]);
    const routed = await router.generate({
      model: 'auto',
      messages: [{ role: 'user', content: 'Hello' }],
      maxTokens: 8,
      seed: 1,
    });
    expect(routed.routing.modelId).toBe('bigram');
    expect(routed.usage.outputTokens).toBe(8);
    const pinned = await router.generate({
      model: 'oracle',
      prompt: 'The lazy',
      maxTokens: 4,
      temperature: 0,
    });
    expect(pinned.tokens).toHaveLength(4);
  } finally {
    await router.dispose();
  }
});
