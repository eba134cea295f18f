/**
 * Plugin modules of every accepted shape, written as real files and imported, plus the
 * shapes that must be refused with a message naming the plugin and what is wrong.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configPlugins, loadPlugin, registerPlugins } from './third-party-plugins';

let work: string;

const LOADER = (name: string) =>
  `{ specificationVersion: 'v1', name: '${name}', canLoad: async () => 0, doLoad: async () => { throw new Error('unused'); } }`;

async function writeModule(path: string, text: string): Promise<string> {
  const file = join(work, path);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llmr-third-party-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('third-party plugins', () => {
  it('takes named exports, keys on the default export, and a default export that is a loader', async () => {
    const named = await writeModule('named.mjs', `export const loaders = [${LOADER('named')}];`);
    const keyed = await writeModule(
      'keyed.mjs',
      `export default { loaders: [${LOADER('keyed')}], strategies: [{ name: 'first', rank: (c) => c }] };`,
    );
    const single = await writeModule('single.mjs', `export default ${LOADER('single')};`);
    expect((await loadPlugin(named, work)).loaders.map((loader) => loader.name)).toEqual(['named']);
    const fromKeys = await loadPlugin(keyed, work);
    expect(fromKeys.loaders.map((loader) => loader.name)).toEqual(['keyed']);
    expect(fromKeys.strategies.map((strategy) => strategy.name)).toEqual(['first']);
    const registry = createRegistry();
    const { strategies } = await registerPlugins(registry, [single, keyed], work);
    expect(registry.loaders.map((loader) => loader.name)).toEqual(['single', 'keyed']);
    expect(strategies).toHaveLength(1);
  });

  it('takes stages by name, and refuses a stage that is not a factory or a name taken twice', async () => {
    const STAGE = `(options) => ({ specificationVersion: 'v1', name: 'shout', transformOptions: ({ options: call }) => ({ ...call, prompt: String(call.prompt).toUpperCase() }), ...options })`;
    const staged = await writeModule('staged.mjs', `export const stages = { shout: ${STAGE} };`);
    const again = await writeModule('again.mjs', `export default { stages: { shout: ${STAGE} } };`);
    const notFactory = await writeModule('not-factory.mjs', 'export const stages = { shout: 1 };');
    const list = await writeModule('list.mjs', `export const stages = [${STAGE}];`);
    const { stages } = await registerPlugins(createRegistry(), [staged], work);
    const stage = stages.shout!({});
    expect(stage.name).toBe('shout');
    expect(
      await stage.transformOptions!({ options: { prompt: 'hi' }, kind: 'generate' } as never),
    ).toEqual({ prompt: 'HI' });
    await expect(registerPlugins(createRegistry(), [staged, again], work)).rejects.toThrow(
      /adds a stage "shout" that an earlier plugin already added/,
    );
    await expect(loadPlugin(notFactory, work)).rejects.toThrow(
      /stages\["shout"\] is not a stage factory/,
    );
    await expect(loadPlugin(list, work)).rejects.toThrow(
      /stages must be an object of name -> stage factory/,
    );
  });

  it('resolves an installed package by name through its exports, from the config directory', async () => {
    await writeModule(
      'app/node_modules/llmr-loader-pkg/package.json',
      JSON.stringify({ name: 'llmr-loader-pkg', exports: { '.': { import: './entry.mjs' } } }),
    );
    await writeModule(
      'app/node_modules/llmr-loader-pkg/entry.mjs',
      `export const loaders = [${LOADER('pkg')}];`,
    );
    const config = await writeModule('app/config/llmr.yaml', 'plugins: [llmr-loader-pkg]\n');
    const [path] = await configPlugins(config);
    expect(path).toBe(join(work, 'app/node_modules/llmr-loader-pkg/entry.mjs'));
    expect((await loadPlugin('llmr-loader-pkg', join(work, 'app'))).loaders[0]?.name).toBe('pkg');
  });

  it('refuses modules that contribute nothing or something that is not a v1 plugin', async () => {
    const empty = await writeModule('empty.mjs', 'export const answer = 42;');
    const wrong = await writeModule('wrong.mjs', 'export const loaders = [{ name: "x" }];');
    const broken = await writeModule('broken.mjs', 'export const = ;');
    await expect(loadPlugin(empty, work)).rejects.toThrow(
      /exports no loaders, engines, strategies or stages/,
    );
    await expect(loadPlugin(wrong, work)).rejects.toThrow(
      /loaders\[0\] is not a loader of the @llmr\/core v1 spec/,
    );
    await expect(loadPlugin(broken, work)).rejects.toMatchObject({
      code: 'invalid-argument',
      message: /failed to import from .*broken\.mjs/,
    });
    await expect(loadPlugin('./missing-dir/', work)).rejects.toThrow(
      /failed to import|package\.json/,
    );
  });
});
