/**
 * `pullHfModel`: an `hf:` source to files in the huggingface_hub cache. Online it resolves
 * the revision to a commit (@huggingface/hub's modelInfo), lists the repo (listFiles),
 * picks the files the source needs, asks for each one's download URL (fileDownloadInfo)
 * and downloads the missing ones, several at once. Offline (HF_HUB_OFFLINE) it answers
 * from the cache alone and says exactly what is missing.
 */
import { stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AbortError } from '@llmr/core';
import { type DownloadBlobResult, downloadBlob, NoSpaceError } from './download-blob';
import {
  blobPathOf,
  isFile,
  joinRepoPath,
  linkSnapshotFile,
  repoCacheDir,
  snapshotDirOf,
  writeRef,
} from './hf-cache';
import { type HfEnvironment, resolveHfEnvironment } from './hf-environment';
import { formatBytes, HfError } from './hf-error';
import { formatHfSource, type HfSource, isCommitHash, parseHfSource } from './hf-source';
import { type ErrorContext, toHfError } from './http-errors';
import { createHubFetch, type HubFetch } from './hub-fetch';
import { pullFromCache } from './pull-from-cache';
import { pullResult } from './pull-result';
import type { HfPulledFile, HfPullOptions, HfPullProgress, HfPullResult } from './pull-types';
import { selectFiles } from './select-files';

export type {
  HfPulledFile,
  HfPullOptions,
  HfPullProgress,
  HfPullResult,
  HfRetryInfo,
} from './pull-types';

interface RepoFile {
  path: string;
  size: number;
  etag: string;
  sha256?: string;
  gitSha1?: string;
}

/**
 * One download per blob per process, however many pulls want it. It has its own abort
 * controller: a pull that is cancelled stops waiting, and the download stops only when
 * every pull sharing it has been cancelled.
 */
interface SharedDownload {
  result: Promise<DownloadBlobResult>;
  controller: AbortController;
  sharers: number;
}
const inFlight = new Map<string, SharedDownload>();

function shareDownload(shared: SharedDownload, signal: AbortSignal): Promise<DownloadBlobResult> {
  shared.sharers++;
  return new Promise((resolve, reject) => {
    let left = false;
    const onAbort = () => {
      left = true;
      shared.sharers--;
      const reason = AbortError.isInstance(signal.reason)
        ? signal.reason
        : new AbortError({ cause: signal.reason });
      if (shared.sharers === 0) shared.controller.abort(reason);
      reject(reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    shared.result
      .finally(() => {
        signal.removeEventListener('abort', onAbort);
        if (!left) shared.sharers--;
      })
      .then(resolve, reject);
  });
}

async function defaultFreeSpace(folder: string): Promise<number | undefined> {
  let current = folder;
  for (;;) {
    try {
      const info = await statfs(current);
      return Number(info.bavail) * Number(info.bsize);
    } catch {
      const parent = dirname(current);
      if (parent === current) return undefined;
      current = parent;
    }
  }
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** Downloads (or finds in the cache) what an `hf:` source needs. */
export async function pullHfModel(
  source: string | HfSource,
  options: HfPullOptions = {},
): Promise<HfPullResult> {
  const parsed = typeof source === 'string' ? parseHfSource(source) : source;
  const environment = resolveHfEnvironment(options);
  if (environment.offline) return pullFromCache(parsed, environment, options, 'offline');
  try {
    return await pullOnline(parsed, environment, options);
  } catch (error) {
    if (!(HfError.isInstance(error) && error.code === 'hf-network-error')) throw error;
    // As huggingface_hub does: with the hub unreachable, a complete cached copy still serves.
    try {
      return await pullFromCache(parsed, environment, options, 'network');
    } catch {
      throw error;
    }
  }
}

async function pullOnline(
  parsed: HfSource,
  environment: HfEnvironment,
  options: HfPullOptions,
): Promise<HfPullResult> {
  const sourceText = formatHfSource(parsed);
  const revision = parsed.revision ?? 'main';
  const { endpoint, cacheDir } = environment;
  const repoDir = repoCacheDir(cacheDir, parsed.repo);
  /** The pull's abortSignal, except for a download other pulls may share (`shared`: it has its own). */
  const fetchFor = (file?: string, shared = false): HubFetch =>
    createHubFetch({
      endpoint,
      accessToken: environment.accessToken,
      fetch: options.fetch,
      maxRetries: options.maxRetries,
      maxRetryWaitMs: options.maxRetryWaitMs,
      abortSignal: shared ? undefined : options.abortSignal,
      onRetry: ({ status, attempt, waitMs }) =>
        options.onRetry?.({
          ...(file ? { file } : {}),
          reason: status === 429 ? 'rate limited (HTTP 429)' : `HTTP ${status}`,
          attempt,
          waitMs,
        }),
    });
  const hubFetch = fetchFor();
  const context: ErrorContext = {
    source: sourceText,
    repo: parsed.repo,
    endpoint,
    revision,
    tokenSource: environment.tokenSource,
    fetch: hubFetch,
  };
  const hub = await import('@huggingface/hub');
  const common = { hubUrl: endpoint, fetch: hubFetch };

  let commit: string;
  try {
    const info = await hub.modelInfo({
      name: parsed.repo,
      revision,
      additionalFields: ['sha'],
      ...common,
    });
    commit = info.sha;
  } catch (error) {
    const mapped = toHfError(error, context);
    if (HfError.isInstance(mapped) && mapped.code === 'hf-repo-not-found' && parsed.revision) {
      // The API says 404 for a missing repo and a missing revision alike: ask which.
      const repoExists = await hub.modelInfo({ name: parsed.repo, ...common }).then(
        () => true,
        () => false,
      );
      if (repoExists) {
        throw new HfError({
          code: 'hf-revision-not-found',
          source: sourceText,
          repo: parsed.repo,
          statusCode: 404,
          missing: [revision],
          message: `${parsed.repo} has no revision "${revision}" (HTTP 404). Use a branch, tag or commit that exists (see ${endpoint}/${parsed.repo}/tree/main), or leave @revision out for main.`,
          cause: error,
        });
      }
    }
    throw mapped;
  }
  if (typeof commit !== 'string' || !isCommitHash(commit)) {
    throw new HfError({
      code: 'hf-invalid-response',
      source: sourceText,
      repo: parsed.repo,
      message: `The hub gave no commit id for ${parsed.repo}@${revision} (got ${JSON.stringify(commit)}).`,
    });
  }

  const entries: RepoFile[] = [];
  try {
    for await (const entry of hub.listFiles({
      repo: { type: 'model', name: parsed.repo },
      revision: commit,
      recursive: true,
      ...common,
    })) {
      if (entry.type !== 'file') continue;
      const sha256 = entry.lfs?.oid;
      const etag = sha256 ?? entry.oid;
      if (!etag) continue;
      entries.push({
        path: entry.path,
        size: entry.lfs?.size ?? entry.size,
        etag,
        ...(sha256 ? { sha256 } : entry.oid ? { gitSha1: entry.oid } : {}),
      });
    }
  } catch (error) {
    throw toHfError(error, context);
  }
  const listing = entries.map((entry) => entry.path).sort();
  const selection = selectFiles(listing, parsed);
  const files = selection.files.map((path) => entries.find((entry) => entry.path === path)!);
  for (const file of files) {
    if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(file.etag)) {
      throw new HfError({
        code: 'hf-invalid-response',
        source: sourceText,
        repo: parsed.repo,
        message: `The hub listed ${file.path} with an unusable hash "${file.etag}".`,
      });
    }
  }

  const snapshotDir = snapshotDirOf(repoDir, commit);
  const state = files.map((file) => ({ file, loaded: 0, transferred: 0, done: false }));
  const total = files.reduce((sum, file) => sum + file.size, 0);
  const emit = (index: number, status: HfPullProgress['status']) => {
    const item = state[index]!;
    options.onProgress?.({
      file: item.file.path,
      status,
      loaded: item.loaded,
      total: item.file.size,
      transferred: item.transferred,
      overall: {
        loaded: state.reduce((sum, entry) => sum + entry.loaded, 0),
        total,
        transferred: state.reduce((sum, entry) => sum + entry.transferred, 0),
        files: state.length,
        filesDone: state.filter((entry) => entry.done).length,
      },
    });
  };

  // What is there already: a snapshot link to the right blob, or the blob alone.
  const results: (HfPulledFile | undefined)[] = [];
  const toDownload: number[] = [];
  let needed = 0;
  for (const [index, file] of files.entries()) {
    const localPath = joinRepoPath(snapshotDir, file.path);
    const blobPath = blobPathOf(repoDir, file.etag);
    const base = {
      path: file.path,
      localPath,
      blobPath,
      etag: file.etag,
      size: file.size,
      lfs: file.sha256 !== undefined,
    };
    if (await isFile(blobPath)) {
      results[index] = { ...base, status: 'cached', transferred: 0, resumedFrom: 0 };
      state[index]!.loaded = file.size;
    } else {
      toDownload.push(index);
      const partial = await stat(`${blobPath}.incomplete`).then(
        (info) => info.size,
        () => 0,
      );
      needed += Math.max(0, file.size - partial);
    }
  }
  for (const index of state.keys()) emit(index, 'queued');

  if (needed > 0) {
    const free = await (options.freeSpace ?? defaultFreeSpace)(cacheDir);
    if (free !== undefined && free < needed) {
      throw new HfError({
        code: 'hf-disk-full',
        source: sourceText,
        repo: parsed.repo,
        message: `Not enough disk space for ${sourceText}: it needs ${formatBytes(needed)} more in ${cacheDir} and only ${formatBytes(free)} is free. Free ${formatBytes(needed - free)}, or point HF_HUB_CACHE (or HF_HOME) at a bigger disk.`,
      });
    }
  }

  const controller = new AbortController();
  const signal = options.abortSignal
    ? AbortSignal.any([options.abortSignal, controller.signal])
    : controller.signal;
  let firstError: unknown;
  const download = async (index: number) => {
    const item = state[index]!;
    const file = item.file;
    const fileFetch = fetchFor(file.path);
    const fileContext: ErrorContext = { ...context, path: file.path, fetch: fileFetch, listing };
    const blobPath = blobPathOf(repoDir, file.etag);
    emit(index, 'downloading');
    let result: DownloadBlobResult;
    try {
      let shared = inFlight.get(blobPath);
      if (!shared) {
        const info = await hub.fileDownloadInfo({
          repo: { type: 'model', name: parsed.repo },
          path: encodePath(file.path),
          revision: commit,
          hubUrl: endpoint,
          fetch: fileFetch,
        });
        if (!info) {
          throw toHfError(
            Object.assign(new Error('EntryNotFound'), { statusCode: 404 }),
            fileContext,
          );
        }
        if (info.size !== file.size) {
          throw new HfError({
            code: 'hf-invalid-response',
            source: sourceText,
            repo: parsed.repo,
            message: `${file.path}: the hub serves ${info.size} bytes but lists ${file.size}; the repo may be changing right now. Run again.`,
          });
        }
        const downloadController = new AbortController();
        const pending = downloadBlob({
          url: info.url,
          blobPath,
          size: file.size,
          sha256: file.sha256,
          gitSha1: file.gitSha1,
          fetch: fetchFor(file.path, true),
          maxRetries: options.maxRetries,
          retryDelayMs: options.retryDelayMs,
          abortSignal: downloadController.signal,
          source: sourceText,
          repo: parsed.repo,
          path: file.path,
          onProgress: ({ loaded, transferred }) => {
            item.loaded = loaded;
            item.transferred = transferred;
            emit(index, 'downloading');
          },
          onInterrupted: ({ attempt, error }) =>
            options.onRetry?.({
              file: file.path,
              reason: `connection lost (${(error as Error).message}); resuming`,
              attempt,
              waitMs: (options.retryDelayMs ?? 250) * 2 ** (attempt - 1),
            }),
        }).finally(() => inFlight.delete(blobPath));
        shared = { result: pending, controller: downloadController, sharers: 0 };
        inFlight.set(blobPath, shared);
      }
      result = await shareDownload(shared, signal);
    } catch (error) {
      if (error instanceof NoSpaceError) {
        const remaining = state
          .filter((entry) => !entry.done)
          .reduce((sum, entry) => sum + entry.file.size - entry.loaded, 0);
        throw new HfError({
          code: 'hf-disk-full',
          source: sourceText,
          repo: parsed.repo,
          cause: error.cause,
          message: `No space left on the disk of ${cacheDir} while writing ${file.path}: the pull still needs about ${formatBytes(remaining)} (${formatBytes(error.remaining)} for this file). Free that much, or point HF_HUB_CACHE (or HF_HOME) at a bigger disk; the bytes already written are kept and the next pull resumes from them.`,
        });
      }
      throw toHfError(error, fileContext);
    }
    item.loaded = file.size;
    item.done = true;
    results[index] = {
      path: file.path,
      localPath: joinRepoPath(snapshotDir, file.path),
      blobPath,
      etag: file.etag,
      size: file.size,
      lfs: file.sha256 !== undefined,
      status: 'downloaded',
      transferred: result.transferred,
      resumedFrom: result.resumedFrom,
    };
    emit(index, 'done');
  };

  const queue = [...toDownload];
  const workers = Array.from(
    { length: Math.max(1, Math.min(options.maxConcurrentDownloads ?? 4, queue.length)) },
    async () => {
      for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
        if (firstError) return;
        try {
          await download(index);
        } catch (error) {
          firstError ??= error;
          controller.abort(error);
          return;
        }
      }
    },
  );
  await Promise.all(workers);
  if (firstError) {
    if (options.abortSignal?.aborted) throw new AbortError({ cause: options.abortSignal.reason });
    throw firstError;
  }

  // Links last: a snapshot file that exists is always a complete, verified blob.
  for (const [index, file] of files.entries()) {
    await linkSnapshotFile(repoDir, commit, file.path, file.etag);
    if (results[index]?.status === 'cached') {
      state[index]!.done = true;
      emit(index, 'cached');
    }
  }
  if (revision !== commit) await writeRef(repoDir, revision, commit);

  return pullResult(
    { source: sourceText, repo: parsed.repo, revision, commit, cacheDir, repoDir, snapshotDir },
    selection,
    results as HfPulledFile[],
  );
}
