/** The hub test double's public shape: repos it holds, faults it injects, requests it records. */
export type HubTestFiles = Record<string, Uint8Array | string>;

export interface HubTestRepo {
  /** The files of `main`: repo path -> content. */
  files: HubTestFiles;
  /** Other branches or tags: name -> files. */
  revisions?: Record<string, HubTestFiles>;
  /** Which files are LFS files (default: model weights by extension, and anything over 10 MB). */
  lfs?: (path: string, size: number) => boolean;
  /** Gated: info is public; files need a token that has access (401 without one, 403 with another). */
  gated?: boolean;
  /** Private: everything needs a token that has access (401 without, 404 with another). */
  private?: boolean;
}

export interface HubTestServerOptions {
  repos: Record<string, HubTestRepo>;
  /** Valid tokens -> the gated or private repos each may read (`*`: all). */
  tokens?: Record<string, readonly string[] | '*'>;
  /** Entries per tree listing page (default 1000); small values exercise Link pagination. */
  pageSize?: number;
}

export interface HubTestRequest {
  method: string;
  /** `hub` or `cdn`. */
  origin: 'hub' | 'cdn';
  /** Path and query as requested. */
  url: string;
  kind: 'info' | 'tree' | 'paths-info' | 'resolve' | 'content' | 'other';
  /** The repo file this request is about (resolve and content requests). */
  file?: { repo: string; path: string };
  range?: string;
  authorization?: string;
  status: number;
  /** Body bytes written (before any dropped connection). */
  bytesSent: number;
  fault?: string;
}

export interface HubTestFault {
  /**
   * Which requests: `api` (info and tree), `resolve` (the hub's resolve endpoint, probes
   * included), `content` (requests that return a file's bytes, but not the 1-byte Range
   * probes @huggingface/hub sends first), `any`.
   */
  on: 'api' | 'resolve' | 'content' | 'any';
  /** Only for this repo file (a path or a RegExp on it). */
  file?: string | RegExp;
  /** Matching requests it applies to (default 1; Infinity for all). */
  times?: number;
  /** Answer with this status instead (with `headers` and `body`). */
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Send this many bytes of the body, then drop the connection. */
  dropAfterBytes?: number;
  /** Flip one byte in the middle of the body (same length, wrong hash). */
  corrupt?: boolean;
}

export interface HubTestFileInfo {
  size: number;
  sha256: string;
  gitSha1: string;
  lfs: boolean;
}

export interface HubTestServer {
  /** The hub's URL: set HF_ENDPOINT (or the endpoint option) to it. */
  url: string;
  /** The CDN's URL (LFS files are redirected there). */
  cdnUrl: string;
  requests: HubTestRequest[];
  fault(fault: HubTestFault): void;
  clearFaults(): void;
  commitOf(repo: string, revision?: string): string;
  fileInfo(repo: string, path: string, revision?: string): HubTestFileInfo;
  close(): Promise<void>;
}
