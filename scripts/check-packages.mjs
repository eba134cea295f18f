#!/usr/bin/env node
// Runs publint and @arethetypeswrong/cli over every publishable package (after `pnpm build`),
// so a package whose exports, types or files are wrong fails here, not for its users.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = readdirSync(join(root, 'packages')).map((dir) => join(root, 'packages', dir));
let failed = 0;
const rows = [];
for (const dir of dirs) {
  const manifestPath = join(dir, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.private) continue;
  const results = {};
  // Raw asset subpaths (a .wasm module) have no types by nature: attw checks the code entries.
  const assets = Object.keys(manifest.exports ?? {}).filter((key) => key.endsWith('.wasm'));
  const exclude = assets.length ? ['--exclude-entrypoints', ...assets] : [];
  for (const [tool, args] of [
    ['publint', ['publint', '--strict', dir]],
    // ESM-only packages: node10 and CJS-importing-ESM resolutions are out of scope by design.
    ['attw', ['attw', '--pack', dir, '--profile', 'esm-only', '--format', 'ascii', ...exclude]],
  ]) {
    try {
      execFileSync('npx', ['--no-install', ...args], {
        cwd: root,
        stdio: 'pipe',
        encoding: 'utf8',
      });
      results[tool] = 'ok';
    } catch (error) {
      failed++;
      results[tool] = 'FAIL';
      process.stderr.write(
        `\n--- ${tool} ${manifest.name} ---\n${error.stdout ?? ''}${error.stderr ?? ''}\n`,
      );
    }
  }
  rows.push({ package: manifest.name, ...results });
}
console.table(rows);
if (failed) {
  console.error(`${failed} check(s) failed.`);
  process.exit(1);
}
