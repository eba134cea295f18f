/**
 * One file from the hub into blobs/<etag>: written to `<blob>.incomplete`, resumed with an
 * HTTP Range from the bytes already there (after a dropped connection, or on the next
 * run), checked against the hub's hash (sha256 for LFS files, the git blob sha1
 * otherwise) and renamed to the blob only when the bytes are right. One process at a time
 * per blob (a lock file beside it); a process that waited finds the blob done and skips.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { delay, isAbortError, throwIfAborted } from '@llmr/core';
import { acquireBlobLock } from './blob-lock';
import { HfError } from './hf-error';
import { HubHttpError } from './http-errors';
import type { HubFetch } from './hub-fetch';

export interface BlobProgress {
  /** Bytes of the file on disk so far (resumed bytes included). */
  loaded: number;
  /** Bytes received over the network by this call. */
  transferred: number;
  /** Where this call started (bytes already there). */
  resumedFrom: number;
}

export interface DownloadBlobOptions {
  url: string;
  blobPath: string;
  size: number;
  /** sha256 of the content (LFS files). */
  sha256?: string;
  /** git blob sha1 (other files). */
  gitSha1?: string;
  fetch: HubFetch;
  /** Resumes after a dropped connection (default 3). */
  maxRetries?: number;
  retryDelayMs?: number;
  abortSignal?: AbortSignal;
  onProgress?: (progress: BlobProgress) => void;
  onInterrupted?: (info: { attempt: number; loaded: number; error: unknown }) => void;
  /** Another process is downloading this blob; this call waits for it. */
  onWaitForLock?: (holder: string) => void;
  /** For errors. */
  source: string;
  repo: string;
  path: string;
}

export interface DownloadBlobResult {
  transferred: number;
  resumedFrom: number;
  /** Requests that carried a Range header (resumes). */
  rangeRequests: number;
}

/** A write failed for lack of space; `remaining` is what this file still needed. */
export class NoSpaceError extends Error {
  constructor(
    readonly path: string,
    readonly remaining: number,
    override readonly cause: unknown,
  ) {
    super(`No space left on device writing ${path}`);
  }
}

class Interrupted extends Error {}

function newHash(options: DownloadBlobOptions): Hash | undefined {
  if (options.sha256) return createHash('sha256');
  if (options.gitSha1) {
    // git hashes "blob <size>\0" + content.
    const hash = createHash('sha1');
    hash.update(`blob ${options.size}\0`);
    return hash;
  }
  return undefined;
}

async function hashExisting(path: string, hash: Hash | undefined, bytes: number): Promise<void> {
  if (!hash || bytes === 0) return;
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) {
    hash.update(chunk as Buffer);
  }
}

function contentRangeStart(header: string | null): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

export async function downloadBlob(options: DownloadBlobOptions): Promise<DownloadBlobResult> {
  await mkdir(dirname(options.blobPath), { recursive: true });
  const release = await acquireBlobLock(`${options.blobPath}.lock`, {
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    ...(options.onWaitForLock ? { onWait: options.onWaitForLock } : {}),
  });
  try {
    // Whoever held the lock before may have finished this very blob.
    const done = await stat(options.blobPath).catch(() => undefined);
    if (done?.isFile() && done.size === options.size)
      return { transferred: 0, resumedFrom: options.size, rangeRequests: 0 };
    return await downloadLocked(options);
  } finally {
    await release();
  }
}

async function downloadLocked(options: DownloadBlobOptions): Promise<DownloadBlobResult> {
  const incomplete = `${options.blobPath}.incomplete`;
  const maxRetries = options.maxRetries ?? 3;
  let loaded = await stat(incomplete).then(
    (info) => info.size,
    () => 0,
  );
  const handle = await open(incomplete, 'a');
  let hash = newHash(options);
  let transferred = 0;
  let rangeRequests = 0;
  const resumedFrom = Math.min(loaded, options.size);
  const fail = (
    code: 'hf-invalid-response' | 'hf-download-interrupted',
    message: string,
    cause?: unknown,
  ) =>
    new HfError({
      code,
      source: options.source,
      repo: options.repo,
      url: options.url,
      message,
      cause,
      isRetryable: code === 'hf-download-interrupted',
    });
  try {
    if (loaded > options.size) {
      await handle.truncate(0);
      loaded = 0;
    }
    await hashExisting(incomplete, hash, loaded);
    options.onProgress?.({ loaded, transferred, resumedFrom });

    for (let attempt = 0; loaded < options.size; attempt++) {
      throwIfAborted(options.abortSignal);
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (loaded > 0) {
        headers.range = `bytes=${loaded}-`;
        rangeRequests++;
      }
      try {
        const response = await options.fetch(options.url, {
          headers,
          signal: options.abortSignal,
        });
        if (response.status === 416) {
          // The server has nothing past what we hold: it is complete, or it changed.
          await response.body?.cancel().catch(() => {});
          await handle.truncate(0);
          loaded = 0;
          hash = newHash(options);
          throw new Interrupted('416 for the bytes held; starting over');
        }
        if (response.status !== 200 && response.status !== 206) {
          throw await HubHttpError.from(response);
        }
        if (response.status === 206) {
          const range = contentRangeStart(response.headers.get('content-range'));
          if (!range || range.start !== loaded) {
            await response.body?.cancel().catch(() => {});
            throw fail(
              'hf-invalid-response',
              `${options.path}: asked for bytes from ${loaded} and got ${response.headers.get('content-range') ?? 'no Content-Range'}.`,
            );
          }
          if (range.total !== undefined && range.total !== options.size) {
            await response.body?.cancel().catch(() => {});
            throw fail(
              'hf-invalid-response',
              `${options.path}: the server says it has ${range.total} bytes; the repo listing says ${options.size}. The file changed under this revision; run again.`,
            );
          }
        } else if (loaded > 0) {
          // The server ignored the Range header: take the whole file again.
          await handle.truncate(0);
          loaded = 0;
          hash = newHash(options);
        }
        if (!response.body) throw new Interrupted('no body');
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          if (loaded + chunk.byteLength > options.size) {
            throw fail(
              'hf-invalid-response',
              `${options.path}: the server sent more than the ${options.size} bytes the repo listing gives.`,
            );
          }
          // write(2) may take only part of a chunk (a file system filling up does): write
          // the rest, so that `loaded` counts only what is on disk and the next write
          // reports the ENOSPC.
          for (let offset = 0; offset < chunk.byteLength; ) {
            try {
              const { bytesWritten } = await handle.write(chunk, offset);
              hash?.update(chunk.subarray(offset, offset + bytesWritten));
              offset += bytesWritten;
              loaded += bytesWritten;
              transferred += bytesWritten;
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
                throw new NoSpaceError(incomplete, options.size - loaded, error);
              }
              throw error;
            }
          }
          options.onProgress?.({ loaded, transferred, resumedFrom });
        }
        if (loaded < options.size) throw new Interrupted('the connection closed early');
      } catch (error) {
        if (error instanceof NoSpaceError || HfError.isInstance(error) || isAbortError(error)) {
          throw error;
        }
        if (error instanceof HubHttpError) throw error;
        if (attempt >= maxRetries) {
          throw fail(
            'hf-download-interrupted',
            `${options.path}: the download was interrupted ${attempt + 1} times (${loaded} of ${options.size} bytes kept in ${incomplete}): ${(error as Error).message}. Run again to resume from there.`,
            error,
          );
        }
        options.onInterrupted?.({ attempt: attempt + 1, loaded, error });
        await delay((options.retryDelayMs ?? 250) * 2 ** attempt, options.abortSignal);
      }
    }
  } finally {
    await handle.close();
  }

  // Bad bytes are worth nothing, not even for resuming: drop them.
  const discard = async (code: 'hf-invalid-response' | 'hf-checksum-mismatch', message: string) => {
    await rm(incomplete, { force: true });
    return new HfError({
      code,
      source: options.source,
      repo: options.repo,
      url: options.url,
      message: `${options.path}: ${message} Nothing was kept; run again to download it afresh.`,
      isRetryable: true,
    });
  };
  // The hash covers the bytes this process wrote; the file could still hold others (a
  // writer that ignores the blob lock, a truncation). Check what is on disk before the
  // rename makes it look like a finished blob.
  const onDisk = await stat(incomplete).then(
    (info) => info.size,
    () => -1,
  );
  if (onDisk !== options.size) {
    throw await discard(
      'hf-invalid-response',
      `the downloaded file holds ${onDisk} bytes on disk, not the ${options.size} the repo listing gives; something else wrote to it.`,
    );
  }
  const expected = options.sha256 ?? options.gitSha1;
  const actual = hash?.digest('hex');
  if (expected && actual !== expected.toLowerCase()) {
    throw await discard(
      'hf-checksum-mismatch',
      `the downloaded bytes do not match the hub's ${options.sha256 ? 'sha256' : 'git sha1'} (expected ${expected}, got ${actual}). If it happens again, something between you and the hub (a proxy, a CDN) is altering the file.`,
    );
  }
  await rename(incomplete, options.blobPath);
  return { transferred, resumedFrom, rangeRequests };
}
