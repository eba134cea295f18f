/** `llmr ls [--json]`: the models in the Hugging Face cache, with sizes and refs. */
import type { HfCacheInfo } from '@llmr/loader-hf';
import type { Command } from 'commander';
import { type CommandIo, formatSize, processIo } from './pull';

export interface LsCommandOptions {
  json?: boolean;
  cacheDir?: string;
}

export async function lsCommand(
  options: LsCommandOptions = {},
  io: CommandIo = processIo(),
): Promise<HfCacheInfo> {
  const { hfCacheDir, scanHfCache } = await import('@llmr/loader-hf');
  const cacheDir = options.cacheDir ?? hfCacheDir();
  const info = await scanHfCache(cacheDir);
  if (options.json) {
    io.stdout(
      `${JSON.stringify({
        cacheDir: info.cacheDir,
        size: info.size,
        warnings: info.warnings,
        repos: info.repos.map((repo) => ({
          repo: repo.repo,
          type: repo.type,
          source: repo.type === 'model' ? `hf:${repo.repo}` : undefined,
          path: repo.path,
          size: repo.size,
          incompleteSize: repo.incompleteSize,
          blobs: repo.blobCount,
          refs: repo.refs,
          lastModified: repo.lastModified.toISOString(),
          revisions: repo.revisions.map((revision) => ({
            commit: revision.commit,
            refs: revision.refs,
            size: revision.size,
            files: revision.files.map((file) => file.path),
          })),
        })),
      })}\n`,
    );
    return info;
  }
  if (info.repos.length === 0) {
    io.stderr(`No models in ${cacheDir}. Download one with \`llmr pull hf:org/repo\`.\n`);
    return info;
  }
  const rows = info.repos.map((repo) => [
    repo.type === 'model' ? `hf:${repo.repo}` : `${repo.type}:${repo.repo}`,
    formatSize(repo.size) +
      (repo.incompleteSize ? ` (+${formatSize(repo.incompleteSize)} partial)` : ''),
    String(repo.revisions.reduce((count, revision) => count + revision.files.length, 0)),
    repo.revisions
      .map(
        (revision) =>
          `${revision.commit.slice(0, 8)}${revision.refs.length ? ` (${revision.refs.join(', ')})` : ''}`,
      )
      .join(', ') || '-',
    repo.lastModified.toISOString().slice(0, 16).replace('T', ' '),
  ]);
  const header = ['SOURCE', 'SIZE', 'FILES', 'REVISIONS', 'MODIFIED'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  for (const row of [header, ...rows]) {
    io.stdout(
      `${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}\n`,
    );
  }
  io.stderr(
    `${info.repos.length} repo${info.repos.length === 1 ? '' : 's'}, ${formatSize(info.size)} in ${cacheDir}\n`,
  );
  for (const warning of info.warnings) io.stderr(`warning: ${warning}\n`);
  return info;
}

export function registerLsCommand(program: Command): void {
  program
    .command('ls')
    .description('List the models in the Hugging Face cache (shared with Python), with sizes.')
    .option('--json', 'print the cache contents as JSON on stdout')
    .option('--cache-dir <dir>', 'cache folder (default: HF_HUB_CACHE, or $HF_HOME/hub)')
    .action(async (options: LsCommandOptions) => {
      await lsCommand(options);
    });
}
