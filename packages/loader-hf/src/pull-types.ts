/** What `pullHfModel` takes and answers: options, progress, retries, the pulled files. */
import type { HfEnvironmentOptions } from './hf-environment';
import type { HfLayout } from './select-files';

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
