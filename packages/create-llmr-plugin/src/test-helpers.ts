/**
 * Test helpers: a scaffolded package is given this workspace's built @llmr/core,
 * TypeScript and Node types through links in its node_modules, so it builds and runs
 * offline exactly as it would after `npm install`.
 */
import { execFile } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const workspaceRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const corePackage = join(workspaceRoot, 'packages/core');
export const typescriptCompiler = join(workspaceRoot, 'node_modules/typescript/bin/tsc');

export async function linkWorkspaceDependencies(directory: string): Promise<void> {
  const links: Record<string, string> = {
    '@llmr/core': corePackage,
    // A strategy plugin's types come from the router (an optional peer).
    '@llmr/router': join(workspaceRoot, 'packages/router'),
    typescript: join(workspaceRoot, 'node_modules/typescript'),
    '@types/node': join(workspaceRoot, 'node_modules/@types/node'),
  };
  for (const [name, target] of Object.entries(links)) {
    const path = join(directory, 'node_modules', name);
    await mkdir(dirname(path), { recursive: true });
    await symlink(target, path, 'dir');
  }
}
