/**
 * pullHfModel against a test double of the hub (a node:http server on 127.0.0.1, see
 * src/testing/hub-test-server.ts) serving the fixtures' tiny models: the cache layout,
 * resumes, hash checks, the errors that say what to do, offline mode.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadFileToCacheDir, scanCacheDir } from '@huggingface/hub';
import { AbortError } from '@llmr/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildHubModels, type HubModels } from './__fixtures__/hub-models';
import { scanHfCache } from './hf-cache';
import { HfError } from './hf-error';
import { type HfPullOptions, type HfPullProgress, type HfRetryInfo, pullHfModel } from './pull';
import { removeHfCacheEntries } from './remove';
import { createHubTestServer, type HubTestServer } from './testing/index';

let models: HubModels;
let hub: HubTestServer;
let cacheDir: string;
const tmpRoot = await mkdtemp(join(tmpdir(), 'llmr-hf-pull-'));
let cacheCount = 0;

const GGUF = 'llmr/tiny-GGUF';
const ONNX = 'llmr/tiny-onnx';
const HF = 'llmr/tiny-hf';
const GATED = 'llmr/gated-GGUF';
const PRIVATE = 'llmr/private-GGUF';

beforeAll(async () => {
  models = await buildHubModels();
  hub = await createHubTestServer({
    repos: {
      [GGUF]: {
        files: models.gguf,
        revisions: { 'v1.0': { ...models.gguf, 'README.md': '# tiny v1.0\n' } },
      },
      [ONNX]: { files: models.onnx },
      [HF]: { files: models.hf },
      [GATED]: { files: models.gguf, gated: true },
      [PRIVATE]: { files: models.gguf, private: true },
    },
    tokens: { hf_reader: [GATED, PRIVATE], hf_other: [] },
    // Small pages, so listings go through the Link header like big repos do.
    pageSize: 3,
  });
});

afterAll(async () => {
  await hub?.close();
  await models?.remove();
  await rm(tmpRoot, { recursive: true, force: true });
});

beforeEach(() => {
  hub.clearFaults();
  hub.requests.length = 0;
  cacheDir = join(tmpRoot, `cache-${++cacheCount}`);
});

function options(extra: HfPullOptions = {}): HfPullOptions {
  return { endpoint: hub.url, cacheDir, retryDelayMs: 5, offline: false, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<HfError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(HfError.isInstance(error), `expected an HfError, got ${String(error)}`).toBe(true);
  return error as HfError;
}

/** A local URL nothing listens on (a port just released). */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const repoDir = (repo: string) => join(cacheDir, `models--${repo.replace('/', '--')}`);
const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );
const contentRequests = (file: string) =>
  hub.requests.filter(
    (request) =>
      request.file?.path === file && request.range !== 'bytes=0-0' && request.status !== 302,
  );

describe('the huggingface_hub cache layout', () => {
  it('pulls one quantization into blobs/<sha256>, a relative snapshot link and refs/main', async () => {
    const result = await pullHfModel(`hf:${GGUF}:Q8_0`, options());
    const commit = hub.commitOf(GGUF);
    const content = models.gguf['tiny-Q8_0.gguf'] as Uint8Array;
    const digest = sha256(content);
    const root = repoDir(GGUF);
    expect(result).toMatchObject({
      repo: GGUF,
      revision: 'main',
      commit,
      layout: 'gguf',
      snapshotDir: join(root, 'snapshots', commit),
      localPath: join(root, 'snapshots', commit, 'tiny-Q8_0.gguf'),
      bytesTransferred: content.byteLength,
    });
    expect(result.fromCache).toBeUndefined();
    expect(result.files).toEqual([
      expect.objectContaining({
        path: 'tiny-Q8_0.gguf',
        etag: digest,
        lfs: true,
        status: 'downloaded',
      }),
    ]);
    // Exactly what huggingface_hub writes.
    expect(await readFile(join(root, 'refs', 'main'), 'utf8')).toBe(commit);
    expect(sha256(await readFile(join(root, 'blobs', digest)))).toBe(digest);
    expect(await readlink(result.localPath)).toBe(`../../blobs/${digest}`);
    expect((await readdir(join(root, 'blobs'))).sort()).toEqual([digest]);
    expect(await readdir(join(root, 'snapshots', commit))).toEqual(['tiny-Q8_0.gguf']);
    // The other quantization was not downloaded.
    expect(contentRequests('tiny-F16.gguf')).toHaveLength(0);
  });

  it('names small files by their git blob sha1, as the hub ETag does', async () => {
    const result = await pullHfModel(`hf:${GGUF}/README.md`, options());
    const info = hub.fileInfo(GGUF, 'README.md');
    expect(info.lfs).toBe(false);
    expect(result.layout).toBe('file');
    expect(result.files[0]).toMatchObject({ etag: info.gitSha1, lfs: false });
    expect(await readlink(result.localPath)).toBe(`../../blobs/${info.gitSha1}`);
  });

  it('reads back with @huggingface/hub scanCacheDir and matches its own downloadFileToCacheDir', async () => {
    const ours = await pullHfModel(`hf:${GGUF}:Q8_0`, options());
    const scanned = await scanCacheDir(cacheDir);
    expect(scanned.warnings).toEqual([]);
    expect(scanned.repos).toHaveLength(1);
    const [repo] = scanned.repos;
    expect(repo!.id).toEqual({ name: GGUF, type: 'model' });
    expect(repo!.revisions[0]).toMatchObject({ commitOid: ours.commit, refs: ['main'] });
    expect(repo!.revisions[0]!.files.map((file) => file.blob.path)).toEqual([
      ours.files[0]!.blobPath,
    ]);

    const theirsDir = join(tmpRoot, `theirs-${cacheCount}`);
    const pointer = await downloadFileToCacheDir({
      repo: GGUF,
      path: 'tiny-Q8_0.gguf',
      revision: ours.commit,
      hubUrl: hub.url,
      cacheDir: theirsDir,
    });
    expect(pointer.slice(theirsDir.length)).toBe(ours.localPath.slice(cacheDir.length));
    expect(await readlink(pointer)).toBe(await readlink(ours.localPath));
  });

  it('resolves branches and tags to commits, with a ref for each name but none for a commit', async () => {
    const tagged = await pullHfModel(`hf:${GGUF}@v1.0/README.md`, options());
    const commit = hub.commitOf(GGUF, 'v1.0');
    expect(tagged.commit).toBe(commit);
    expect(await readFile(tagged.localPath, 'utf8')).toBe('# tiny v1.0\n');
    expect(await readFile(join(repoDir(GGUF), 'refs', 'v1.0'), 'utf8')).toBe(commit);

    const main = hub.commitOf(GGUF);
    const pinned = await pullHfModel(`hf:${GGUF}@${main}/README.md`, options());
    expect(pinned.commit).toBe(main);
    expect(await readdir(join(repoDir(GGUF), 'refs'))).toEqual(['v1.0']);
  });

  it('takes an ONNX variant by dtype with its config and tokenizer files', async () => {
    const result = await pullHfModel(`hf:${ONNX}:q4`, options());
    expect(result.layout).toBe('onnx');
    expect(result.localPath).toBe(result.snapshotDir);
    expect(result.loadOptions).toEqual({ fileName: 'model_q4.onnx' });
    expect(result.files.map((file) => file.path)).toEqual([
      'config.json',
      'generation_config.json',
      'onnx/model_q4.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const link = join(result.snapshotDir, 'onnx', 'model_q4.onnx');
    expect(await readlink(link)).toBe(
      `../../../blobs/${hub.fileInfo(ONNX, 'onnx/model_q4.onnx').sha256}`,
    );
  });

  it('takes a safetensors directory without its README', async () => {
    const result = await pullHfModel(`hf:${HF}`, options());
    expect(result.layout).toBe('safetensors');
    expect(result.files.map((file) => file.path)).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
  });

  it('downloads several files at once, never more than maxConcurrentDownloads', async () => {
    const events: HfPullProgress[] = [];
    await pullHfModel(
      `hf:${HF}`,
      options({ maxConcurrentDownloads: 2, onProgress: (event) => events.push(event) }),
    );
    const active = new Set<string>();
    let most = 0;
    for (const event of events) {
      if (event.status === 'downloading') active.add(event.file);
      if (event.status === 'done') active.delete(event.file);
      most = Math.max(most, active.size);
    }
    expect(most).toBe(2);
    expect(events.filter((event) => event.status === 'queued')).toHaveLength(5);
    const last = events.at(-1)!;
    expect(last.overall).toMatchObject({ files: 5, filesDone: 5 });
    expect(last.overall.loaded).toBe(last.overall.total);
  });

  it('a second pull downloads nothing', async () => {
    await pullHfModel(`hf:${ONNX}:q4`, options());
    hub.requests.length = 0;
    const again = await pullHfModel(`hf:${ONNX}:q4`, options());
    expect(again.bytesTransferred).toBe(0);
    expect(again.files.every((file) => file.status === 'cached')).toBe(true);
    expect(
      hub.requests.filter((request) => request.kind === 'content' || request.kind === 'resolve'),
    ).toEqual([]);
  });

  it('sends the token to the hub and never to the CDN it redirects to', async () => {
    await pullHfModel(`hf:${GATED}:Q8_0`, options({ accessToken: 'hf_reader' }));
    const cdn = hub.requests.filter((request) => request.origin === 'cdn');
    const api = hub.requests.filter((request) => request.origin === 'hub');
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((request) => request.authorization === undefined)).toBe(true);
    expect(api.every((request) => request.authorization === 'Bearer hf_reader')).toBe(true);
  });
});

describe('interrupted downloads', () => {
  it('resumes with a Range request after the connection drops mid-file', async () => {
    const file = 'tiny-F16.gguf';
    const size = hub.fileInfo(GGUF, file).size;
    hub.fault({ on: 'content', file, dropAfterBytes: 100_000 });
    const retries: HfRetryInfo[] = [];
    const result = await pullHfModel(
      `hf:${GGUF}:F16`,
      options({ onRetry: (info) => retries.push(info) }),
    );

    const [first, second, ...more] = contentRequests(file);
    expect(more).toEqual([]);
    expect(first).toMatchObject({ origin: 'cdn', fault: 'drop after 100000', bytesSent: 100_000 });
    expect(first!.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(second!.range ?? '')?.[1]);
    // It resumes from what reached the disk: all 100,000 bytes, unless the break reached the
    // downloader while received chunks still waited for their write (a busy disk), which
    // are then fetched again. Either way it never asks for less than it kept.
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);
    expect(second).toMatchObject({ status: 206, bytesSent: size - resumedAt });
    // Every byte was written once.
    expect(result.files[0]!.transferred).toBe(size);
    expect(result.bytesTransferred).toBe(size);
    expect(retries).toEqual([expect.objectContaining({ file, attempt: 1 })]);
    expect(retries[0]!.reason).toMatch(/connection lost/);
    expect(sha256(await readFile(result.localPath))).toBe(hub.fileInfo(GGUF, file).sha256);
  });

  it('keeps the .incomplete file when retries run out, and the next pull resumes from it', async () => {
    const file = 'tiny-F16.gguf';
    const { size, sha256: digest } = hub.fileInfo(GGUF, file);
    hub.fault({ on: 'content', file, dropAfterBytes: 60_000 });
    const error = await rejection(pullHfModel(`hf:${GGUF}:F16`, options({ maxRetries: 0 })));
    expect(error.code).toBe('hf-download-interrupted');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/60000 of \d+ bytes kept .*Run again to resume/);
    const blob = join(repoDir(GGUF), 'blobs', digest);
    expect((await stat(`${blob}.incomplete`)).size).toBe(60_000);
    expect(await exists(blob)).toBe(false);
    expect(await exists(join(repoDir(GGUF), 'snapshots'))).toBe(false);

    hub.requests.length = 0;
    const result = await pullHfModel(`hf:${GGUF}:F16`, options());
    const [resumed, ...more] = contentRequests(file);
    expect(more).toEqual([]);
    expect(resumed).toMatchObject({ range: 'bytes=60000-', status: 206, bytesSent: size - 60_000 });
    expect(result.files[0]).toMatchObject({ resumedFrom: 60_000, transferred: size - 60_000 });
    expect(sha256(await readFile(result.localPath))).toBe(digest);
    expect(await exists(`${blob}.incomplete`)).toBe(false);
  });
});

describe('aborting', () => {
  it('stops the downloads with an AbortError and keeps the bytes for the next pull', async () => {
    const file = 'tiny-F16.gguf';
    hub.fault({ on: 'content', file, dropAfterBytes: 40_000 });
    const controller = new AbortController();
    const error = await pullHfModel(
      `hf:${GGUF}:F16`,
      options({
        abortSignal: controller.signal,
        onRetry: () => controller.abort(new Error('user pressed ctrl-c')),
      }),
    ).catch((caught: unknown) => caught);
    expect(AbortError.isInstance(error)).toBe(true);
    const blob = join(repoDir(GGUF), 'blobs', hub.fileInfo(GGUF, file).sha256);
    expect((await stat(`${blob}.incomplete`)).size).toBe(40_000);
    expect(await exists(blob)).toBe(false);
  });
});

describe('pulls sharing a download', () => {
  it('a cancelled pull does not stop another pull sharing its download', async () => {
    const file = 'tiny-F16.gguf';
    hub.fault({ on: 'content', file, dropAfterBytes: 40_000 });
    const leaving = new AbortController();
    let staying: Promise<unknown> | undefined;
    let joined!: () => void;
    const sharing = new Promise<void>((resolve) => {
      joined = resolve;
    });
    const first = pullHfModel(
      `hf:${GGUF}:F16`,
      options({
        abortSignal: leaving.signal,
        // The dropped download waits this long before resuming: time for a second pull to join.
        retryDelayMs: 1_000,
        onRetry: () => {
          staying ??= pullHfModel(
            `hf:${GGUF}:F16`,
            options({
              onProgress: (progress) => {
                if (progress.file === file && progress.status === 'downloading') joined();
              },
            }),
          );
        },
      }),
    ).catch((caught: unknown) => caught);
    await sharing;
    // The second pull takes the shared download in the same tick as that progress event.
    await new Promise((resolve) => setTimeout(resolve, 0));
    leaving.abort(new Error('user pressed ctrl-c'));
    expect(AbortError.isInstance(await first)).toBe(true);
    await staying;
    const blob = join(repoDir(GGUF), 'blobs', hub.fileInfo(GGUF, file).sha256);
    expect(sha256(await readFile(blob))).toBe(hub.fileInfo(GGUF, file).sha256);
    // One download: the first request dropped, one Range request resumed it.
    expect(contentRequests(file).map((request) => request.range ?? 'whole')).toEqual([
      'whole',
      'bytes=40000-',
    ]);
  });
});

describe('corrupted bytes', () => {
  it('re-check the size on disk before the rename, so bytes from another writer are not kept', async () => {
    const file = 'tiny-Q8_0.gguf';
    const incomplete = join(
      repoDir(GGUF),
      'blobs',
      `${hub.fileInfo(GGUF, file).sha256}.incomplete`,
    );
    let intruded = false;
    const error = await rejection(
      pullHfModel(
        `hf:${GGUF}:Q8_0`,
        options({
          onProgress: (progress) => {
            // A writer that ignores the blob lock appends its own bytes mid-download.
            if (
              !intruded &&
              progress.file === file &&
              progress.status === 'downloading' &&
              existsSync(incomplete)
            ) {
              intruded = true;
              appendFileSync(incomplete, 'foreign bytes');
            }
          },
        }),
      ),
    );
    expect(intruded).toBe(true);
    expect(error.code).toBe('hf-invalid-response');
    expect(error.message).toMatch(/on disk, not the \d+ the repo listing gives/);
    expect(await readdir(join(repoDir(GGUF), 'blobs'))).toEqual([]);
    const result = await pullHfModel(`hf:${GGUF}:Q8_0`, options());
    expect(sha256(await readFile(result.localPath))).toBe(hub.fileInfo(GGUF, file).sha256);
  });

  it('fail the sha256 check and leave nothing that looks valid', async () => {
    hub.fault({
      on: 'content',
      file: 'tiny-Q8_0.gguf',
      corrupt: true,
      times: Number.POSITIVE_INFINITY,
    });
    const error = await rejection(pullHfModel(`hf:${GGUF}:Q8_0`, options()));
    expect(error.code).toBe('hf-checksum-mismatch');
    expect(error.message).toMatch(/do not match the hub's sha256 .*Nothing was kept/);
    const root = repoDir(GGUF);
    const blobs = await readdir(join(root, 'blobs')).catch(() => []);
    expect(blobs).toEqual([]);
    expect(await exists(join(root, 'snapshots'))).toBe(false);
    expect(await exists(join(root, 'refs', 'main'))).toBe(false);

    hub.clearFaults();
    const result = await pullHfModel(`hf:${GGUF}:Q8_0`, options());
    expect(result.files[0]!.resumedFrom).toBe(0);
    expect(sha256(await readFile(result.localPath))).toBe(
      hub.fileInfo(GGUF, 'tiny-Q8_0.gguf').sha256,
    );
  });

  it('fail the git sha1 check for small files too', async () => {
    hub.fault({ on: 'content', file: 'README.md', corrupt: true });
    const error = await rejection(pullHfModel(`hf:${GGUF}/README.md`, options()));
    expect(error.code).toBe('hf-checksum-mismatch');
    expect(error.message).toContain('git sha1');
    expect(await readdir(join(repoDir(GGUF), 'blobs'))).toEqual([]);
  });
});

describe('errors that say what to do', () => {
  it('401 for a gated repo without a token: set HF_TOKEN and accept the license', async () => {
    const error = await rejection(pullHfModel(`hf:${GATED}:Q8_0`, options()));
    expect(error).toMatchObject({ code: 'hf-unauthorized', statusCode: 401, repo: GATED });
    expect(error.message).toContain('Set HF_TOKEN');
    expect(error.message).toContain(`accept its license at ${hub.url}/${GATED}`);
  });

  it('403 for a token without access: accept the license with that account', async () => {
    const error = await rejection(
      pullHfModel(`hf:${GATED}:Q8_0`, options({ accessToken: 'hf_other' })),
    );
    expect(error).toMatchObject({ code: 'hf-forbidden', statusCode: 403 });
    expect(error.message).toContain("Accept the model's license");
    expect(error.message).toContain('the accessToken option');
    const result = await pullHfModel(`hf:${GATED}:Q8_0`, options({ accessToken: 'hf_reader' }));
    expect(result.files).toHaveLength(1);
  });

  it('401 for a private repo or a bad token', async () => {
    const hidden = await rejection(pullHfModel(`hf:${PRIVATE}`, options()));
    expect(hidden.code).toBe('hf-unauthorized');
    expect(hidden.message).toMatch(/gated or private, or it does not exist.*HF_TOKEN/);
    const bad = await rejection(pullHfModel(`hf:${GGUF}`, options({ accessToken: 'hf_nope' })));
    expect(bad.code).toBe('hf-unauthorized');
    expect(bad.message).toContain('refused the token from the accessToken option');
  });

  it('404: the repo, the revision, the file (listing what the repo has), the quantization', async () => {
    const repo = await rejection(
      pullHfModel('hf:llmr/nothing-here', options({ accessToken: 'hf_other' })),
    );
    expect(repo.code).toBe('hf-repo-not-found');
    const revision = await rejection(pullHfModel(`hf:${GGUF}@v9`, options()));
    expect(revision.code).toBe('hf-revision-not-found');
    expect(revision.message).toContain('has no revision "v9"');
    const file = await rejection(pullHfModel(`hf:${GGUF}/tiny-Q2_K.gguf`, options()));
    expect(file.code).toBe('hf-file-not-found');
    expect(file.message).toContain('tiny-Q8_0.gguf');
    expect(file.available).toContain('tiny-F16.gguf');
    const quant = await rejection(pullHfModel(`hf:${GGUF}:Q2_K`, options()));
    expect(quant.code).toBe('hf-file-not-found');
    expect(quant.message).toContain('GGUF quantizations: F16, Q8_0');
  });

  it('404 from the resolve endpoint lists the repo', async () => {
    hub.fault({
      on: 'resolve',
      file: 'tiny-Q8_0.gguf',
      status: 404,
      headers: { 'x-error-code': 'EntryNotFound' },
      times: Number.POSITIVE_INFINITY,
    });
    const error = await rejection(pullHfModel(`hf:${GGUF}:Q8_0`, options()));
    expect(error.code).toBe('hf-file-not-found');
    expect(error.message).toMatch(
      /has no file tiny-Q8_0\.gguf \(HTTP 404\)\. It has: .*tiny-F16\.gguf/,
    );
  });

  it('429: waits for Retry-After, then goes on', async () => {
    hub.fault({ on: 'api', status: 429, headers: { 'retry-after': '1' } });
    hub.fault({ on: 'content', status: 429, headers: { 'retry-after': '0' } });
    const retries: HfRetryInfo[] = [];
    const started = performance.now();
    const result = await pullHfModel(
      `hf:${GGUF}:Q8_0`,
      options({ onRetry: (info) => retries.push(info) }),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(result.files).toHaveLength(1);
    expect(retries).toEqual([
      { reason: 'rate limited (HTTP 429)', attempt: 1, waitMs: 1000 },
      { file: 'tiny-Q8_0.gguf', reason: 'rate limited (HTTP 429)', attempt: 1, waitMs: 0 },
    ]);
  });

  it('429 that does not stop: a bounded number of tries, then a retryable error', async () => {
    hub.fault({
      on: 'api',
      status: 429,
      headers: { 'retry-after': '0' },
      times: Number.POSITIVE_INFINITY,
    });
    const error = await rejection(pullHfModel(`hf:${GGUF}:Q8_0`, options({ maxRetries: 2 })));
    expect(error).toMatchObject({ code: 'hf-rate-limited', statusCode: 429, isRetryable: true });
    expect(error.message).toContain('after 3 tries');
    expect(hub.requests.filter((request) => request.kind === 'info')).toHaveLength(3);
  });

  it('a Retry-After longer than maxRetryWaitMs is not waited for', async () => {
    hub.fault({ on: 'api', status: 429, headers: { 'retry-after': '3600' } });
    const error = await rejection(
      pullHfModel(`hf:${GGUF}:Q8_0`, options({ maxRetryWaitMs: 1000 })),
    );
    expect(error.code).toBe('hf-rate-limited');
    expect(error.message).toContain('it asks to wait 3600 s');
  });

  it('disk full: says how much space is needed before writing anything', async () => {
    const error = await rejection(
      pullHfModel(`hf:${GGUF}:F16`, options({ freeSpace: async () => 1000 })),
    );
    expect(error.code).toBe('hf-disk-full');
    const size = hub.fileInfo(GGUF, 'tiny-F16.gguf').size;
    expect(error.message).toContain(`needs ${(size / 1000).toFixed(0)}`);
    expect(error.message).toContain('only 1.0 kB is free');
    expect(error.message).toContain('HF_HUB_CACHE');
    expect(await exists(join(repoDir(GGUF), 'blobs'))).toBe(false);
  });

  it('network down: says offline mode exists, and uses a complete cache when there is one', async () => {
    const down = await closedPort();
    const error = await rejection(pullHfModel(`hf:${GGUF}:Q8_0`, options({ endpoint: down })));
    expect(error.code).toBe('hf-network-error');
    expect(error.message).toContain('(ECONNREFUSED)');
    expect(error.message).toContain('HF_HUB_OFFLINE=1');

    await pullHfModel(`hf:${GGUF}:Q8_0`, options());
    const cached = await pullHfModel(`hf:${GGUF}:Q8_0`, options({ endpoint: down }));
    expect(cached.fromCache).toBe('hub-unreachable');
  });
});

describe('offline mode', () => {
  it('with an empty cache: says the repo is not cached, without touching the network', async () => {
    const error = await rejection(pullHfModel(`hf:${GGUF}:Q8_0`, options({ offline: true })));
    expect(error.code).toBe('hf-offline-cache-miss');
    expect(error.message).toContain('HF_HUB_OFFLINE is set');
    expect(error.message).toContain(`${GGUF} is not in the cache`);
    expect(hub.requests).toEqual([]);
  });

  it('with a cache: loads what is there and names exactly what is missing', async () => {
    await pullHfModel(`hf:${GGUF}:Q8_0`, options());
    hub.requests.length = 0;
    const cached = await pullHfModel(`hf:${GGUF}:Q8_0`, options({ offline: true }));
    expect(cached).toMatchObject({
      fromCache: 'offline',
      layout: 'gguf',
      commit: hub.commitOf(GGUF),
    });
    expect(await readFile(cached.localPath)).toEqual(
      Buffer.from(models.gguf['tiny-Q8_0.gguf'] as Uint8Array),
    );
    // No quantization named: the cached one serves.
    expect((await pullHfModel(`hf:${GGUF}`, options({ offline: true }))).localPath).toBe(
      cached.localPath,
    );

    const quant = await rejection(pullHfModel(`hf:${GGUF}:F16`, options({ offline: true })));
    expect(quant.code).toBe('hf-offline-cache-miss');
    expect(quant.message).toMatch(
      /no GGUF file matching ":F16" in the cache.*GGUF quantizations: Q8_0/,
    );
    const tag = await rejection(pullHfModel(`hf:${GGUF}@v1.0`, options({ offline: true })));
    expect(tag.message).toContain('the cache has no refs/v1.0');
    expect(tag.missing).toEqual([join(repoDir(GGUF), 'refs', 'v1.0')]);
    expect(hub.requests).toEqual([]);
  });

  it('names missing parts of a cached ONNX model', async () => {
    const pulled = await pullHfModel(`hf:${ONNX}:q4`, options());
    await rm(join(pulled.snapshotDir, 'tokenizer.json'));
    const error = await rejection(pullHfModel(`hf:${ONNX}:q4`, options({ offline: true })));
    expect(error.message).toContain('lacks tokenizer.json');
    expect(error.missing).toEqual(['tokenizer.json']);
  });

  it('follows HF_HUB_OFFLINE, HF_HUB_CACHE and HF_ENDPOINT from the environment', async () => {
    const saved = { ...process.env };
    try {
      process.env.HF_ENDPOINT = hub.url;
      process.env.HF_HOME = join(tmpRoot, 'home-unused');
      process.env.HF_HUB_CACHE = cacheDir;
      delete process.env.HF_TOKEN;
      const online = await pullHfModel(`hf:${GGUF}/README.md`);
      expect(online.cacheDir).toBe(cacheDir);
      process.env.HF_HUB_OFFLINE = '1';
      hub.requests.length = 0;
      expect((await pullHfModel(`hf:${GGUF}/README.md`)).fromCache).toBe('offline');
      expect(hub.requests).toEqual([]);
      process.env.HF_TOKEN = 'hf_reader';
      delete process.env.HF_HUB_OFFLINE;
      await pullHfModel(`hf:${GATED}/README.md`);
      expect(hub.requests.at(-1)?.authorization).toBe('Bearer hf_reader');
    } finally {
      process.env = saved;
    }
  });
});

describe('scanning and removing cache entries', () => {
  it('lists repos with sizes, and removes a quantization, a revision or a repo', async () => {
    await pullHfModel(`hf:${GGUF}:Q8_0`, options());
    await pullHfModel(`hf:${GGUF}:F16`, options());
    await pullHfModel(`hf:${GGUF}@v1.0/README.md`, options());
    await pullHfModel(`hf:${HF}`, options());
    // An unfinished download counts separately.
    await writeFile(join(repoDir(HF), 'blobs', `${'0'.repeat(64)}.incomplete`), 'partial');

    const scan = await scanHfCache(cacheDir);
    expect(scan.repos.map((repo) => repo.repo)).toEqual([GGUF, HF]);
    const gguf = scan.repos[0]!;
    const q8 = hub.fileInfo(GGUF, 'tiny-Q8_0.gguf').size;
    const f16 = hub.fileInfo(GGUF, 'tiny-F16.gguf').size;
    const readme = hub.fileInfo(GGUF, 'README.md', 'v1.0').size;
    expect(gguf).toMatchObject({ size: q8 + f16 + readme, blobCount: 3, incompleteSize: 0 });
    expect(gguf.refs).toEqual({ main: hub.commitOf(GGUF), 'v1.0': hub.commitOf(GGUF, 'v1.0') });
    expect(scan.repos[1]!.incompleteSize).toBe(7);

    const planned = await removeHfCacheEntries(`hf:${GGUF}:F16`, { cacheDir, dryRun: true });
    expect(planned).toMatchObject({ found: true, scope: 'files', bytes: f16 });
    expect((await scanHfCache(cacheDir)).repos[0]!.blobCount).toBe(3);
    const removed = await removeHfCacheEntries(`hf:${GGUF}:F16`, { cacheDir });
    expect(removed.bytes).toBe(f16);
    const after = (await scanHfCache(cacheDir)).repos[0]!;
    expect(after.blobCount).toBe(2);
    expect(
      after.revisions
        .find((revision) => revision.refs.includes('main'))!
        .files.map((file) => file.path),
    ).toEqual(['tiny-Q8_0.gguf']);

    const tag = await removeHfCacheEntries(`hf:${GGUF}@v1.0`, { cacheDir });
    expect(tag).toMatchObject({ scope: 'revision', bytes: readme });
    expect((await scanHfCache(cacheDir)).repos[0]!.refs).toEqual({ main: hub.commitOf(GGUF) });

    const whole = await removeHfCacheEntries(`hf:${HF}`, { cacheDir });
    expect(whole).toMatchObject({ scope: 'repo', found: true });
    expect(await exists(repoDir(HF))).toBe(false);
    expect((await removeHfCacheEntries(`hf:${HF}`, { cacheDir })).found).toBe(false);
  });
});
