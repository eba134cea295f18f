import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { isProbe, parseRange } from './http-range';
import {
  gitSha1,
  LFS_EXTENSIONS,
  type StoredFile,
  type StoredRevision,
  storeFiles,
  treeEntry,
} from './hub-repo-store';
import type {
  HubTestFault,
  HubTestRepo,
  HubTestRequest,
  HubTestServer,
  HubTestServerOptions,
} from './hub-test-types';

export type {
  HubTestFault,
  HubTestFileInfo,
  HubTestFiles,
  HubTestRepo,
  HubTestRequest,
  HubTestServer,
  HubTestServerOptions,
} from './hub-test-types';

export async function createHubTestServer(options: HubTestServerOptions): Promise<HubTestServer> {
  const repos = new Map<string, { config: HubTestRepo; revisions: Map<string, StoredRevision> }>();
  for (const [name, config] of Object.entries(options.repos)) {
    const isLfs = config.lfs ?? ((path, size) => LFS_EXTENSIONS.test(path) || size > 10_000_000);
    const revisions = new Map<string, StoredRevision>();
    revisions.set('main', storeFiles('main', config.files, isLfs));
    for (const [revision, files] of Object.entries(config.revisions ?? {})) {
      revisions.set(revision, storeFiles(revision, files, isLfs));
    }
    repos.set(name, { config, revisions });
  }
  const blobs = new Map<string, { repo: string; file: StoredFile }>();
  for (const [name, repo] of repos) {
    for (const revision of repo.revisions.values()) {
      for (const file of revision.files.values()) blobs.set(file.sha256, { repo: name, file });
    }
  }
  const requests: HubTestRequest[] = [];
  let faults: (HubTestFault & { left: number })[] = [];
  const pageSize = options.pageSize ?? 1000;

  const findRevision = (repo: { revisions: Map<string, StoredRevision> }, rev: string) =>
    repo.revisions.get(rev) ??
    [...repo.revisions.values()].find((revision) => revision.commit === rev);

  const tokenOf = (request: IncomingMessage) =>
    /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();

  const mayRead = (token: string | undefined, repo: string) => {
    if (!token) return false;
    const allowed = options.tokens?.[token];
    return allowed === '*' || allowed?.includes(repo);
  };

  function takeFault(record: HubTestRequest, servesBytes: boolean): HubTestFault | undefined {
    const index = faults.findIndex((fault) => {
      if (fault.left <= 0) return false;
      const applies =
        fault.on === 'any' ||
        (fault.on === 'api' &&
          (record.kind === 'info' || record.kind === 'tree' || record.kind === 'paths-info')) ||
        (fault.on === 'resolve' && record.kind === 'resolve') ||
        (fault.on === 'content' && servesBytes && !isProbe(record.range));
      if (!applies) return false;
      if (fault.file === undefined) return true;
      const path = record.file?.path;
      if (path === undefined) return false;
      return typeof fault.file === 'string' ? fault.file === path : fault.file.test(path);
    });
    if (index < 0) return undefined;
    const fault = faults[index]!;
    fault.left--;
    record.fault =
      fault.status !== undefined
        ? `status ${fault.status}`
        : fault.dropAfterBytes !== undefined
          ? `drop after ${fault.dropAfterBytes}`
          : fault.corrupt
            ? 'corrupt'
            : 'none';
    return fault;
  }

  /** Answers with an injected status; true when it did. */
  function sendFaultStatus(
    response: ServerResponse,
    record: HubTestRequest,
    fault: HubTestFault | undefined,
  ): boolean {
    if (fault?.status === undefined) return false;
    const body = Buffer.from(fault.body ?? JSON.stringify({ error: `injected ${fault.status}` }));
    record.status = fault.status;
    response.writeHead(fault.status, {
      'content-type': 'application/json',
      'content-length': String(body.length),
      ...fault.headers,
    });
    record.bytesSent += body.length;
    response.end(body);
    return true;
  }

  function sendJson(
    response: ServerResponse,
    record: HubTestRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const text = Buffer.from(JSON.stringify(body));
    record.status = status;
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(text.length),
      ...headers,
    });
    if (record.method === 'HEAD') return response.end();
    record.bytesSent += text.length;
    response.end(text);
  }

  function sendError(
    response: ServerResponse,
    record: HubTestRequest,
    status: number,
    errorCode: string | undefined,
    message: string,
  ) {
    sendJson(
      response,
      record,
      status,
      { error: message },
      errorCode ? { 'x-error-code': errorCode } : {},
    );
  }

  function sendBytes(
    response: ServerResponse,
    request: IncomingMessage,
    record: HubTestRequest,
    file: StoredFile,
    headers: Record<string, string>,
    fault: HubTestFault | undefined,
  ) {
    const range = parseRange(request.headers.range, file.size);
    if (range === 'invalid') {
      record.status = 416;
      response.writeHead(416, { 'content-range': `bytes */${file.size}`, ...headers });
      return response.end();
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? file.size - 1;
    let body = file.content.subarray(start, end + 1);
    if (fault?.corrupt && body.length > 0) {
      body = Buffer.from(body);
      const middle = Math.floor(body.length / 2);
      body[middle] = body[middle]! ^ 0xff;
    }
    record.status = range ? 206 : 200;
    response.writeHead(record.status, {
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${file.size}` } : {}),
      ...headers,
    });
    if (record.method === 'HEAD') return response.end();
    if (fault?.dropAfterBytes !== undefined && fault.dropAfterBytes < body.length) {
      const part = body.subarray(0, fault.dropAfterBytes);
      record.bytesSent += part.length;
      response.write(part, () => {
        // Let the bytes reach the client, then cut the connection mid-body.
        setTimeout(() => response.socket?.destroy(), 20);
      });
      return;
    }
    record.bytesSent += body.length;
    response.end(body);
  }

  let cdnUrl = '';

  function handleHub(request: IncomingMessage, response: ServerResponse, record: HubTestRequest) {
    const url = new URL(request.url ?? '/', 'http://hub.invalid');
    const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const token = tokenOf(request);
    if (token && !options.tokens?.[token]) {
      return sendError(
        response,
        record,
        401,
        undefined,
        'Invalid credentials in Authorization header',
      );
    }
    const api = segments[0] === 'api' && segments[1] === 'models';
    const offset = api ? 2 : 0;
    const repoName = `${segments[offset]}/${segments[offset + 1]}`;
    const rest = segments.slice(offset + 2);
    if (api) {
      record.kind = rest[0] === 'tree' ? 'tree' : rest[0] === 'paths-info' ? 'paths-info' : 'info';
    } else if (rest[0] === 'resolve') {
      record.kind = 'resolve';
      record.file = { repo: repoName, path: rest.slice(2).join('/') };
    }
    if (record.kind === 'other') return sendError(response, record, 404, undefined, 'Not found');

    const repo = repos.get(repoName);
    const readable = repo && mayRead(token, repoName);
    if (!repo || (repo.config.private && !readable)) {
      // The hub does not tell a missing repo from a private one.
      return sendError(response, record, token ? 404 : 401, 'RepoNotFound', 'Repository not found');
    }
    const needsAccess = repo.config.gated && record.kind !== 'info';
    if (needsAccess && !readable) {
      return token
        ? sendError(
            response,
            record,
            403,
            'GatedRepo',
            `Access to model ${repoName} is restricted and you are not in the authorized list. Visit https://huggingface.co/${repoName} to ask for access.`,
          )
        : sendError(
            response,
            record,
            401,
            'GatedRepo',
            `Access to model ${repoName} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
          );
    }

    if (record.kind !== 'resolve' && sendFaultStatus(response, record, takeFault(record, false))) {
      return;
    }
    if (record.kind === 'info') {
      const rev = rest[0] === 'revision' ? (rest[1] ?? 'main') : 'main';
      const revision = findRevision(repo, rev === 'HEAD' ? 'main' : rev);
      if (!revision)
        return sendError(response, record, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      return sendJson(response, record, 200, {
        _id: revision.commit.slice(0, 24),
        id: repoName,
        modelId: repoName,
        author: repoName.split('/')[0],
        sha: revision.commit,
        lastModified: '2025-01-01T00:00:00.000Z',
        createdAt: '2025-01-01T00:00:00.000Z',
        private: repo.config.private === true,
        gated: repo.config.gated ? 'manual' : false,
        disabled: false,
        downloads: 0,
        likes: 0,
        tags: ['llmr-test'],
        pipeline_tag: 'text-generation',
        siblings: [...revision.files.keys()].sort().map((rfilename) => ({ rfilename })),
      });
    }

    if (record.kind === 'tree') {
      const revision = findRevision(repo, rest[1] ?? 'main');
      if (!revision)
        return sendError(response, record, 404, 'RevisionNotFound', `Invalid rev id: ${rest[1]}`);
      const folder = rest.slice(2).join('/');
      const recursive = url.searchParams.get('recursive') === 'true';
      const entries = new Map<string, unknown>();
      for (const file of [...revision.files.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
        if (folder && !file.path.startsWith(`${folder}/`)) continue;
        const relative = folder ? file.path.slice(folder.length + 1) : file.path;
        const parts = relative.split('/');
        for (let depth = 1; depth < parts.length; depth++) {
          if (!recursive && depth > 1) break;
          const dir = [folder, ...parts.slice(0, depth)].filter(Boolean).join('/');
          entries.set(dir, {
            type: 'directory',
            oid: gitSha1(Buffer.from(dir)),
            size: 0,
            path: dir,
          });
        }
        if (!recursive && parts.length > 1) continue;
        entries.set(file.path, treeEntry(file));
      }
      if (folder && entries.size === 0)
        return sendError(response, record, 404, 'EntryNotFound', `${folder} does not exist`);
      const all = [...entries.values()];
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = all.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = {};
      if (cursor + pageSize < all.length) {
        const next = new URL(url.pathname + url.search, `http://${request.headers.host}`);
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return sendJson(response, record, 200, page, headers);
    }

    if (record.kind === 'paths-info') {
      const revision = findRevision(repo, rest[1] ?? 'main');
      if (!revision) {
        return sendError(response, record, 404, 'RevisionNotFound', `Invalid rev id: ${rest[1]}`);
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let body: { paths?: unknown; expand?: unknown } = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          return sendError(response, record, 400, undefined, 'Invalid JSON body');
        }
        const paths = Array.isArray(body.paths) ? body.paths.map(String) : [];
        const entries = paths.flatMap((path) => {
          const file = revision.files.get(path);
          if (!file) return [];
          return [
            {
              ...treeEntry(file),
              ...(body.expand
                ? {
                    lastCommit: {
                      id: revision.commit,
                      title: 'test commit',
                      date: '2025-01-01T00:00:00.000Z',
                    },
                    securityFileStatus: { status: 'safe' },
                  }
                : {}),
            },
          ];
        });
        sendJson(response, record, 200, entries);
      });
      return;
    }

    // resolve
    const revision = findRevision(repo, rest[1] ?? 'main');
    if (!revision)
      return sendError(response, record, 404, 'RevisionNotFound', `Invalid rev id: ${rest[1]}`);
    const file = revision.files.get(record.file!.path);
    if (!file) return sendError(response, record, 404, 'EntryNotFound', 'Entry not found');
    const fault = takeFault(record, !file.lfs);
    if (sendFaultStatus(response, record, fault)) return;
    const common = { 'x-repo-commit': revision.commit };
    if (file.lfs) {
      record.status = 302;
      const location = `${cdnUrl}/blobs/${file.sha256}?repo=${encodeURIComponent(repoName)}&path=${encodeURIComponent(file.path)}`;
      response.writeHead(302, {
        location,
        etag: `"${file.oid}"`,
        'x-linked-etag': `"${file.sha256}"`,
        'x-linked-size': String(file.size),
        ...common,
      });
      return response.end();
    }
    return sendBytes(
      response,
      request,
      record,
      file,
      { etag: `"${file.gitSha1}"`, ...common },
      fault,
    );
  }

  function handleCdn(request: IncomingMessage, response: ServerResponse, record: HubTestRequest) {
    const url = new URL(request.url ?? '/', 'http://cdn.invalid');
    const match = /^\/blobs\/([0-9a-f]{64})$/.exec(url.pathname);
    const blob = match ? blobs.get(match[1]!) : undefined;
    record.kind = 'content';
    if (blob) record.file = { repo: blob.repo, path: blob.file.path };
    const fault = takeFault(record, blob !== undefined);
    if (sendFaultStatus(response, record, fault)) return;
    if (!blob) {
      record.status = 404;
      response.writeHead(404);
      return response.end();
    }
    return sendBytes(
      response,
      request,
      record,
      blob.file,
      { etag: `"${blob.file.sha256}"` },
      fault,
    );
  }

  const listen = (origin: 'hub' | 'cdn') =>
    new Promise<Server>((resolve) => {
      const server = createServer((request, response) => {
        const record: HubTestRequest = {
          method: request.method ?? 'GET',
          origin,
          url: request.url ?? '/',
          kind: 'other',
          ...(request.headers.range ? { range: request.headers.range } : {}),
          ...(request.headers.authorization
            ? { authorization: request.headers.authorization }
            : {}),
          status: 0,
          bytesSent: 0,
        };
        requests.push(record);
        try {
          if (origin === 'hub') handleHub(request, response, record);
          else handleCdn(request, response, record);
        } catch (error) {
          record.status = 500;
          response.writeHead(500);
          response.end(String(error));
        }
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    });

  const hub = await listen('hub');
  const cdn = await listen('cdn');
  const url = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
  cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;

  const revisionOf = (repo: string, revision = 'main') => {
    const stored = repos.get(repo);
    const found = stored && findRevision(stored, revision);
    if (!found) throw new Error(`The test hub has no ${repo}@${revision}.`);
    return found;
  };

  return {
    url,
    cdnUrl,
    requests,
    fault(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults() {
      faults = [];
    },
    commitOf: (repo, revision) => revisionOf(repo, revision).commit,
    fileInfo(repo, path, revision) {
      const file = revisionOf(repo, revision).files.get(path);
      if (!file) throw new Error(`The test hub has no ${repo}/${path}.`);
      return { size: file.size, sha256: file.sha256, gitSha1: file.gitSha1, lfs: file.lfs };
    },
    async close() {
      for (const server of [hub, cdn]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
