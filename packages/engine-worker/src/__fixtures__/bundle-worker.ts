/**
 * Bundles the worker entry and the test's loader module into plain .mjs files with
 * esbuild (worker threads cannot run TypeScript), resolving @llmr/* to workspace sources.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const packagesDir = join(here, '../../..');

export async function bundleForWorker(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [join(here, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    plugins: [
      {
        name: 'llmr-workspace-sources',
        setup(context) {
          context.onResolve({ filter: /^@llmr\/[^/]+$/ }, ({ path }) => {
            const file = join(packagesDir, path.slice('@llmr/'.length), 'src', 'index.ts');
            return existsSync(file) ? { path: file } : undefined;
          });
        },
      },
    ],
  });
  return pathToFileURL(outfile).href;
}
