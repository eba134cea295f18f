/**
 * Bundles a fixture entry into one ESM file with esbuild, resolving @llmr/* to the
 * workspace sources (as the vitest aliases do) so the tests need no prior build.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const packagesDir = join(dirname(fileURLToPath(import.meta.url)), '../../..');

const workspaceSources: Plugin = {
  name: 'llmr-workspace-sources',
  setup(context) {
    context.onResolve({ filter: /^@llmr\// }, ({ path }) => {
      const [, dir, ...rest] = path.split('/');
      const file = rest.length
        ? join(packagesDir, dir!, 'src', ...rest, 'index.ts')
        : join(packagesDir, dir!, 'src', 'index.ts');
      if (!existsSync(file)) return undefined;
      return { path: file };
    });
  },
};

export async function bundleEntry(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [join(dirname(fileURLToPath(import.meta.url)), entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    // kernels.wasm stays a module import: workerd links it as a Wasm module.
    external: ['node:*', './kernels.wasm'],
    plugins: [workspaceSources],
    logLevel: 'error',
  });
  return outfile;
}
