/**
 * `pullHfModel`: an `hf:` source to files in the huggingface_hub cache. Online it resolves
 * the revision to a commit (@huggingface/hub's modelInfo), lists the repo (listFiles),
 * picks the files the source needs, asks for each one's download URL (fileDownloadInfo)
 * and downloads the missing ones, several at once. Offline (HF_HUB_OFFLINE) it answers
 * from the cache alone and says exactly what is missing.
 */
import { readFile, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AbortError, throwIfAborted } from '@llmr/core';
import { type DownloadBlobResult, downloadBlob, NoSpaceError } from './download-blob';
import {
  blobPathOf,
  isFile,
  joinRepoPath,
  linkSnapshotFile,
  readRef,
  repoCacheDir,
  scanCachedRepo,
  snapshotDirOf,
  writeRef,
} from './hf-cache';
import {
  type HfEnvironment,
  type HfEnvironmentOptions,
  resolveHfEnvironment,
} from './hf-environment';
import { formatBytes, HfError, listForMessage } from './hf-error';
import { formatHfSource, type HfSource, isCommitHash, parseHfSource } from './hf-source';
import { type ErrorContext, toHfError } from './http-errors';
import { createHubFetch, type HubFetch } from './hub-fetch';
import { type HfFileSelection, type HfLayout, missingParts, selectFiles } from './select-files';

export interface HfPullProgress {
  /** Repo path of the file. */
  file: string;
  /** `queued` comes once per file before any download starts, so a UI can lay out its bars. */
  status: 'queued' | 'cached' | 'downloading' | 'done';
  /** Bytes of this file on disk (resumed bytes included). */
  loaded: number;
  total: number;
  /** Bytes of this file received over the network by this pull. */
  transferred: number;
  overall: { loaded: number; total: number; transferred: number; files: number; filesDone: number };
}

export interface HfRetryInfo {
  /** The file, when the retry is for one. */
  file?: string;
  reason: string;
  attempt: number;
  waitMs: number;
}

export interface HfPullOptions extends HfEnvironmentOptions {
  /** fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Files downloaded at once (default 4). */
  maxConcurrentDownloads?: number;
  /** Retries after 429/5xx answers and after dropped connections, per request (default 3). */
  maxRetries?: number;
  /** Longest Retry-After to wait for before giving up (default 60 s). */
  maxRetryWaitMs?: number;
  /** Base delay before resuming a dropped download (doubles each time; default 250 ms). */
  retryDelayMs?: number;
  abortSignal?: AbortSignal;
  onProgress?: (progress: HfPullProgress) => void;
  onRetry?: (info: HfRetryInfo) => void;
  /** Free bytes where the cache lives (default: statfs); undefined skips the check. */
  freeSpace?: (folder: string) => Promise<number | undefined>;
}

export interface HfPulledFile {
  /** Repo path. */
  path: string;
  /** The snapshot link. */
  localPath: string;
  blobPath: string;
  etag: string;
  size: number;
  lfs: boolean;
  status: 'cached' | 'downloaded';
  /** Bytes received for it by this pull. */
  transferred: number;
  /** Bytes that were already in `.incomplete` when this pull started. */
  resumedFrom: number;
}

export interface HfPullResult {
  source: string;
  repo: string;
  /** The revision asked for (`main` by default). */
  revision: string;
  commit: string;
  cacheDir: string;
  repoDir: string;
  snapshotDir: string;
  /** What to hand to a format loader: a .gguf file, or the snapshot (sub)folder. */
  localPath: string;
  layout: HfLayout;
  /** Load options the format loader needs to pick the same file (ONNX `fileName`). */
  loadOptions: Record<string, unknown>;
  description: string;
  files: HfPulledFile[];
  bytesTransferred: number;
  /**
   * Set when the hub was not asked: `offline` (HF_HUB_OFFLINE or the offline option), or
   * `hub-unreachable` (the network failed and the cache had everything).
   */
  fromCache?: 'offline' | 'hub-unreachable';
}

interface RepoFile {
  path: string;
  size: number;
  etag: string;
  sha256?: string;
  gitSha1?: string;
}

// One download per blob per process, however many pulls want it.
const inFlight = new Map<string, Promise<DownloadBlobResult>>();

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

function localPathFor(snapshotDir: string, entry: string): string {
  return entry ? joinRepoPath(snapshotDir, entry) : snapshotDir;
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
  const fetchFor = (file?: string): HubFetch =>
    createHubFetch({
      endpoint,
      accessToken: environment.accessToken,
      fetch: options.fetch,
      maxRetries: options.maxRetries,
      maxRetryWaitMs: options.maxRetryWaitMs,
      abortSignal: options.abortSignal,
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
      let pending = inFlight.get(blobPath);
      if (!pending) {
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
        pending = downloadBlob({
          url: info.url,
          blobPath,
          size: file.size,
          sha256: file.sha256,
          gitSha1: file.gitSha1,
          fetch: fileFetch,
          maxRetries: options.maxRetries,
          retryDelayMs: options.retryDelayMs,
          abortSignal: signal,
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
        inFlight.set(blobPath, pending);
      }
      result = await pending;
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

  const pulled = results as HfPulledFile[];
  return {
    source: sourceText,
    repo: parsed.repo,
    revision,
    commit,
    cacheDir,
    repoDir,
    snapshotDir,
    localPath: localPathFor(snapshotDir, selection.entry),
    layout: selection.layout,
    loadOptions: selection.loadOptions,
    description: selection.description,
    files: pulled,
    bytesTransferred: pulled.reduce((sum, file) => sum + file.transferred, 0),
  };
}

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

async function pullFromCache(
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
  return {
    source: sourceText,
    repo: parsed.repo,
    revision,
    commit,
    cacheDir,
    repoDir,
    snapshotDir,
    localPath: localPathFor(snapshotDir, selection.entry),
    layout: selection.layout,
    loadOptions: selection.loadOptions,
    description: selection.description,
    files,
    bytesTransferred: 0,
    fromCache: why === 'offline' ? 'offline' : 'hub-unreachable',
  };
}
