/**
 * An `hf:` source answered from the cache alone: offline (HF_HUB_OFFLINE), or with the hub
 * unreachable. It says exactly which files are missing and what the cache has instead.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { throwIfAborted } from '@llmr/core';
import {
  blobPathOf,
  joinRepoPath,
  readRef,
  repoCacheDir,
  scanCachedRepo,
  snapshotDirOf,
} from './hf-cache';
import type { HfEnvironment } from './hf-environment';
import { formatBytes, HfError, listForMessage } from './hf-error';
import { formatHfSource, type HfSource, isCommitHash } from './hf-source';
import { pullResult } from './pull-result';
import type { HfPulledFile, HfPullOptions, HfPullResult } from './pull-types';
import { type HfFileSelection, missingParts, selectFiles } from './select-files';

/** safetensors shards an index names that the snapshot lacks. */
async function missingShards(
  selection: HfFileSelection,
  snapshotDir: string,
  present: ReadonlySet<string>,
): Promise<string[]> {
  if (selection.layout !== 'safetensors') return [];
  const missing: string[] = [];
  for (const index of selection.files.filter((path) => path.endsWith('.safetensors.index.json'))) {
    try {
      const json = JSON.parse(await readFile(joinRepoPath(snapshotDir, index), 'utf8')) as {
        weight_map?: Record<string, string>;
      };
      const folder = index.includes('/') ? index.slice(0, index.lastIndexOf('/') + 1) : '';
      for (const shard of new Set(Object.values(json.weight_map ?? {}))) {
        if (!present.has(`${folder}${shard}`)) missing.push(`${folder}${shard}`);
      }
    } catch {
      // An unreadable index is the format loader's to report.
    }
  }
  return missing;
}

export async function pullFromCache(
  parsed: HfSource,
  environment: HfEnvironment,
  options: HfPullOptions,
  why: 'offline' | 'network',
): Promise<HfPullResult> {
  throwIfAborted(options.abortSignal);
  const sourceText = formatHfSource(parsed);
  const revision = parsed.revision ?? 'main';
  const { cacheDir } = environment;
  const repoDir = repoCacheDir(cacheDir, parsed.repo);
  const mode = 'HF_HUB_OFFLINE is set (offline mode), so only the cache is used';
  const goOnline = `Run \`llmr pull ${sourceText}\` while online first, or unset HF_HUB_OFFLINE.`;
  const miss = (message: string, missing: string[], available: string[] = []) =>
    new HfError({
      code: 'hf-offline-cache-miss',
      source: sourceText,
      repo: parsed.repo,
      message,
      missing,
      available,
    });

  const repo = await scanCachedRepo(repoDir, parsed.repo, 'model').catch(() => undefined);
  if (!repo) {
    throw miss(
      `${mode}, and ${parsed.repo} is not in the cache (no ${basename(repoDir)} in ${cacheDir}). ${goOnline}`,
      [repoDir],
    );
  }
  const commit = isCommitHash(revision) ? revision : await readRef(repoDir, revision);
  const cachedRevisions = repo.revisions.map(
    (entry) =>
      `${entry.commit.slice(0, 12)}${entry.refs.length ? ` (${entry.refs.join(', ')})` : ''}`,
  );
  if (!commit) {
    throw miss(
      `${mode}, and the cache has no refs/${revision} for ${parsed.repo}, so "${revision}" cannot be resolved to a commit. Cached revisions: ${listForMessage(cachedRevisions)}; name one with @<commit>. ${goOnline}`,
      [join(repoDir, 'refs', revision)],
      Object.keys(repo.refs),
    );
  }
  const snapshotDir = snapshotDirOf(repoDir, commit);
  const snapshot = repo.revisions.find((entry) => entry.commit === commit);
  if (!snapshot || snapshot.files.length === 0) {
    throw miss(
      `${mode}, and the cache has no files of ${parsed.repo}@${commit.slice(0, 12)} (${snapshotDir} is ${snapshot ? 'empty' : 'missing'}). Cached revisions: ${listForMessage(cachedRevisions)}. ${goOnline}`,
      [snapshotDir],
    );
  }
  const paths = snapshot.files.map((file) => file.path);
  let selection: HfFileSelection;
  try {
    selection = selectFiles(paths, parsed, { offline: true });
  } catch (error) {
    if (HfError.isInstance(error) && error.code === 'hf-offline-cache-miss') {
      throw miss(`${mode}: ${error.message} ${goOnline}`, error.missing ?? [], paths);
    }
    throw error;
  }
  const present = new Set(paths);
  const missing = [
    ...missingParts(selection),
    ...(await missingShards(selection, snapshotDir, present)),
    ...(selection.layout === 'onnx'
      ? ['config.json', 'tokenizer.json']
          .map((name) => (selection.entry ? `${selection.entry}/${name}` : name))
          .filter((path) => !present.has(path))
      : []),
  ];
  if (missing.length > 0) {
    const unfinished = repo.incompleteSize
      ? ` (${formatBytes(repo.incompleteSize)} of unfinished downloads wait in blobs/ to be resumed)`
      : '';
    throw miss(
      `${mode}, and the cached ${parsed.repo}@${commit.slice(0, 12)} lacks ${missing.join(', ')}${unfinished}. ${goOnline}`,
      missing,
      paths,
    );
  }
  const byPath = new Map(snapshot.files.map((file) => [file.path, file]));
  const files: HfPulledFile[] = selection.files.map((path) => {
    const file = byPath.get(path)!;
    const etag = file.blob ?? '';
    return {
      path,
      localPath: file.localPath,
      blobPath: etag ? blobPathOf(repoDir, etag) : file.localPath,
      etag,
      size: file.size,
      lfs: etag.length === 64,
      status: 'cached',
      transferred: 0,
      resumedFrom: 0,
    };
  });
  const total = files.reduce((sum, file) => sum + file.size, 0);
  let loaded = 0;
  files.forEach((file, index) => {
    loaded += file.size;
    options.onProgress?.({
      file: file.path,
      status: 'cached',
      loaded: file.size,
      total: file.size,
      transferred: 0,
      overall: { loaded, total, transferred: 0, files: files.length, filesDone: index + 1 },
    });
  });
  return pullResult(
    { source: sourceText, repo: parsed.repo, revision, commit, cacheDir, repoDir, snapshotDir },
    selection,
    files,
    why === 'offline' ? 'offline' : 'hub-unreachable',
  );
}
