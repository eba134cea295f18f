/**
 * Scaffolds each kind into a temp dir; the loader is then built with tsc against the
 * workspace's @llmr/core (needs `turbo run build --filter=@llmr/core`) and its generated
 * node:test suite, the conformance kit, is run.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCreate } from './run-create';
import { PLUGIN_KINDS, type PluginKind, scaffoldPlugin } from './scaffold';
import { corePackage, linkWorkspaceDependencies, run, typescriptCompiler } from './test-helpers';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'create-llmr-plugin-'));
  if (!existsSync(join(corePackage, 'dist/test/kit/index.js'))) {
    throw new Error('Build @llmr/core first: pnpm exec turbo run build --filter=@llmr/core');
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * Scaffolds one kind against this workspace's core, checks the manifest every kind
 * shares, builds it with tsc and runs its generated node:test suite.
 */
async function scaffoldAndTest(name: string, kind: PluginKind, directory: string) {
  const core = JSON.parse(await readFile(join(corePackage, 'package.json'), 'utf8'));
  const result = await scaffoldPlugin({ name, kind, directory, coreVersion: core.version });
  const manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8'));
  expect(manifest.dependencies).toEqual({ '@llmr/core': `^${core.version}` });
  expect(manifest.scripts.test).toBe(`tsc && node --test dist/${kind}.test.js`);
  expect(manifest.keywords).toContain(`llmr-${kind}`);
  await linkWorkspaceDependencies(directory);
  await run(process.execPath, [typescriptCompiler], { cwd: directory });
  const { stdout } = await run(process.execPath, ['--test', `dist/${kind}.test.js`], {
    cwd: directory,
  });
  expect(stdout).toMatch(/# fail 0/);
  return { files: result.files, stdout };
}

describe('create-llmr-plugin', () => {
  it('prints help', async () => {
    let out = '';
    const code = await runCreate(['--help'], { out: (text) => (out += text), error: () => {} });
    expect(code).toBe(0);
    expect(out).toContain('--kind <kind>');
    expect(out).toContain('npm init llmr-plugin');
  });

  it('refuses a bad name, an unknown kind and a non-empty directory with a clear message', async () => {
    const errors: string[] = [];
    const io = { out: () => {}, error: (text: string) => errors.push(text) };
    expect(await runCreate(['Bad Name!'], io)).toBe(1);
    expect(await runCreate(['llmr-loader-x', '--kind', 'tokenizer'], io)).toBe(1);
    const directory = join(work, 'taken');
    await scaffoldPlugin({ name: 'llmr-loader-taken', directory, coreVersion: '0.1.0' });
    expect(await runCreate(['llmr-loader-taken', '--directory', directory], io)).toBe(1);
    expect(errors[0]).toMatch(/not a valid npm package name/);
    expect(errors[1]).toMatch(/Unknown plugin kind "tokenizer"; use one of loader, engine/);
    expect(errors[2]).toMatch(/already exists and is not empty/);
  });

  it('scaffolds every kind it names', () => {
    expect([...PLUGIN_KINDS].sort()).toEqual(['engine', 'loader', 'provider', 'stage', 'strategy']);
  });

  it('scaffolds a loader that builds against core and passes the kit under node:test', async () => {
    const directory = join(work, 'llmr-loader-bigram');
    const core = JSON.parse(await readFile(join(corePackage, 'package.json'), 'utf8'));
    let out = '';
    const code = await runCreate(['@acme/llmr-loader-bigram', '--directory', directory], {
      out: (text) => (out += text),
      error: (text) => (out += text),
    });
    expect(code, out).toBe(0);
    const manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8'));
    expect(manifest.name).toBe('@acme/llmr-loader-bigram');
    expect(manifest.dependencies).toEqual({ '@llmr/core': `^${core.version}` });
    expect(Object.keys(manifest.devDependencies)).not.toContain('vitest');
    await linkWorkspaceDependencies(directory);
    await run(process.execPath, [typescriptCompiler], { cwd: directory });
    const { stdout } = await run(process.execPath, ['--test', 'dist/loader.test.js'], {
      cwd: directory,
    });
    expect(stdout).toMatch(/# pass 3/);
    expect(stdout).toMatch(/# fail 0/);
    const plugin = await import(join(directory, 'dist/index.js'));
    expect(plugin.default.loaders[0].name).toBe('bigram');
    expect(plugin.bigramLoader).toBe(plugin.loaders[0]);
  }, 120_000);

  it('scaffolds a pipeline stage that builds against core and passes its node:test suite', async () => {
    const directory = join(work, 'llmr-stage-redact');
    const { files, stdout } = await scaffoldAndTest('llmr-stage-redact', 'stage', directory);
    expect(files).toEqual([
      '.gitignore',
      'README.md',
      'package.json',
      'src/index.ts',
      'src/stage.test.ts',
      'src/stage.ts',
      'tsconfig.json',
    ]);
    expect(stdout).toMatch(/# pass 3/);
    const plugin = await import(join(directory, 'dist/index.js'));
    expect(Object.keys(plugin.default.stages)).toEqual(['redact']);
    expect(plugin.stages.redact({}).name).toBe('redact');
  }, 120_000);

  it('scaffolds a provider that passes the kit over HTTP against a loopback upstream', async () => {
    const directory = join(work, 'llmr-provider-acme');
    const { files, stdout } = await scaffoldAndTest(
      '@acme/llmr-provider-acme-cloud',
      'provider',
      directory,
    );
    expect(files).toEqual([
      '.gitignore',
      'README.md',
      'package.json',
      'src/http-model.ts',
      'src/index.ts',
      'src/provider.test.ts',
      'src/provider.ts',
      'tsconfig.json',
    ]);
    expect(await readFile(join(directory, 'README.md'), 'utf8')).toContain('ACME_CLOUD_BASE_URL');
    expect(stdout).toMatch(/# pass 4/);
    const plugin = await import(join(directory, 'dist/index.js'));
    expect(plugin.default.loaders[0].name).toBe('acme-cloud');
    expect(plugin.acmeCloudProvider).toBe(plugin.loaders[0]);
    expect(await plugin.acmeCloudProvider.canLoad('acme-cloud:small')).toMatchObject({
      confidence: 0.9,
    });
  }, 120_000);

  it('scaffolds a routing strategy typed by the router, whose tests catch a dropped candidate', async () => {
    const directory = join(work, 'llmr-strategy-latency-budget');
    const { files, stdout } = await scaffoldAndTest(
      'llmr-strategy-latency-budget',
      'strategy',
      directory,
    );
    expect(files).toEqual([
      '.gitignore',
      'README.md',
      'package.json',
      'src/index.ts',
      'src/strategy.test.ts',
      'src/strategy.ts',
      'tsconfig.json',
    ]);
    expect(stdout).toMatch(/# pass 6/);
    const manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8'));
    expect(manifest.peerDependencies).toEqual({ '@llmr/router': '^0.1.0' });
    expect(manifest.peerDependenciesMeta).toEqual({ '@llmr/router': { optional: true } });
    expect(manifest.devDependencies['@llmr/router']).toBe('^0.1.0');
    // Types only: the built strategy never loads the router.
    expect(await readFile(join(directory, 'dist/strategy.js'), 'utf8')).not.toContain(
      '@llmr/router',
    );
    const plugin = await import(join(directory, 'dist/index.js'));
    expect(plugin.default.strategies[0].name).toBe('latency-budget');
    expect(plugin.latencyBudgetStrategy).toBe(plugin.strategies[0]);

    // A strategy that loses candidates breaks the router's fallback: its tests must say so.
    const source = join(directory, 'src/strategy.ts');
    const code = await readFile(source, 'utf8');
    await writeFile(
      source,
      code.replace('const ranked = [...fast, ...slow];', 'const ranked = fast;'),
    );
    await run(process.execPath, [typescriptCompiler], { cwd: directory });
    const failed = await run(process.execPath, ['--test', 'dist/strategy.test.js'], {
      cwd: directory,
    }).catch((error: { stdout: string }) => error);
    expect(failed.stdout).toMatch(/# fail [1-9]/);
  }, 120_000);

  it("scaffolds an engine that passes core's engine checks under node:test", async () => {
    const directory = join(work, 'llmr-engine-tiny');
    const { files, stdout } = await scaffoldAndTest('llmr-engine-tiny', 'engine', directory);
    expect(files).toEqual([
      '.gitignore',
      'README.md',
      'package.json',
      'src/engine.test.ts',
      'src/engine.ts',
      'src/graph.ts',
      'src/index.ts',
      'src/ops.ts',
      'tsconfig.json',
    ]);
    expect(stdout).toMatch(/# pass 3/);
    const plugin = await import(join(directory, 'dist/index.js'));
    expect(plugin.default.engines[0].name).toBe('tiny');
    expect(plugin.tinyEngine).toBe(plugin.engines[0]);
  }, 120_000);
});
