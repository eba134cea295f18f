/**
 * Removing an `hf:` source from the cache (`llmr rm`): the whole repo, one revision, or
 * the files a source selects, together with the blobs nothing else links to. Planned
 * first, so a caller can show what goes before anything does.
 */
import { lstat, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  blobPathOf,
  pruneEmptyFolders,
  readRef,
  repoCacheDir,
  repoFolderName,
  scanCachedRepo,
  snapshotDirOf,
} from './hf-cache';
import { hfCacheDir } from './hf-environment';
import { HfError } from './hf-error';
import { type HfSource, isCommitHash, parseHfSource } from './hf-source';
import { selectFiles } from './select-files';

export interface RemoveHfCacheResult {
  repo: string;
  repoDir: string;
  /** False when the cache has nothing of this repo (then nothing is removed). */
  found: boolean;
  /** `repo`: the whole folder; `revision`: one snapshot; `files`: some files of one. */
  scope: 'repo' | 'revision' | 'files';
  /** Paths removed (or, with dryRun, that would be). */
  paths: string[];
  /** Bytes freed (blobs no longer linked from anywhere). */
  bytes: number;
  dryRun: boolean;
}

export async function removeHfCacheEntries(
  source: string | HfSource,
  options: { cacheDir?: string; dryRun?: boolean } = {},
): Promise<RemoveHfCacheResult> {
  const parsed = typeof source === 'string' ? parseHfSource(source) : source;
  const cacheDir = options.cacheDir ?? hfCacheDir();
  const repoDir = repoCacheDir(cacheDir, parsed.repo);
  const dryRun = options.dryRun ?? false;
  const scope: RemoveHfCacheResult['scope'] =
    parsed.path !== undefined || parsed.selector !== undefined
      ? 'files'
      : parsed.revision !== undefined
        ? 'revision'
        : 'repo';
  const result = { repo: parsed.repo, repoDir, scope, dryRun };
  const repo = await scanCachedRepo(repoDir, parsed.repo, 'model').catch(() => undefined);
  if (!repo) return { ...result, found: false, paths: [], bytes: 0 };

  if (scope === 'repo') {
    const locks = join(cacheDir, '.locks', repoFolderName(parsed.repo));
    if (!dryRun) {
      await rm(repoDir, { recursive: true, force: true });
      await rm(locks, { recursive: true, force: true });
    }
    return { ...result, found: true, paths: [repoDir], bytes: repo.size + repo.incompleteSize };
  }

  const revision = parsed.revision ?? 'main';
  let commit = isCommitHash(revision) ? revision : await readRef(repoDir, revision);
  if (!commit && parsed.revision === undefined && repo.revisions.length === 1) {
    commit = repo.revisions[0]!.commit;
  }
  const snapshot = repo.revisions.find((entry) => entry.commit === commit);
  if (!snapshot) return { ...result, found: false, paths: [], bytes: 0 };

  let targets = snapshot.files;
  if (scope === 'files') {
    try {
      const selection = selectFiles(
        snapshot.files.map((file) => file.path),
        parsed,
        { offline: true },
      );
      targets = snapshot.files.filter((file) => selection.files.includes(file.path));
    } catch (error) {
      if (HfError.isInstance(error) && error.code === 'hf-offline-cache-miss') {
        return { ...result, found: false, paths: [], bytes: 0 };
      }
      throw error;
    }
  }
  const removing = new Set(targets.map((file) => file.localPath));
  const stillLinked = new Set<string>();
  for (const entry of repo.revisions) {
    if (scope === 'revision' && entry.commit === snapshot.commit) continue;
    for (const file of entry.files) {
      if (!removing.has(file.localPath) && file.blob) stillLinked.add(file.blob);
    }
  }
  const blobs = [
    ...new Set(targets.map((file) => file.blob).filter((blob): blob is string => !!blob)),
  ].filter((blob) => !stillLinked.has(blob));
  let bytes = 0;
  for (const blob of blobs) {
    bytes += await lstat(blobPathOf(repoDir, blob)).then(
      (info) => info.size,
      () => 0,
    );
  }
  const refs = Object.entries(repo.refs)
    .filter(([, target]) => scope === 'revision' && target === snapshot.commit)
    .map(([name]) => join(repoDir, 'refs', ...name.split('/')));
  const paths = [
    ...(scope === 'revision' ? [snapshotDirOf(repoDir, snapshot.commit)] : [...removing]),
    ...blobs.map((blob) => blobPathOf(repoDir, blob)),
    ...refs,
  ];
  if (!dryRun) {
    for (const path of paths) await rm(path, { recursive: true, force: true });
    for (const path of removing) await pruneEmptyFolders(dirname(path), join(repoDir, 'snapshots'));
    for (const path of refs) await pruneEmptyFolders(dirname(path), join(repoDir, 'refs'));
  }
  return { ...result, found: true, paths, bytes };
}
