/**
 * The huggingface_hub cache layout, byte for byte, so Python and llmr share one cache:
 *
 *   <cache>/models--org--name/blobs/<etag>                     the bytes (sha256 for LFS
 *                                                              files, git sha1 otherwise)
 *   <cache>/models--org--name/blobs/<etag>.incomplete          a download in progress
 *   <cache>/models--org--name/snapshots/<commit>/<path>        relative symlink to the blob
 *   <cache>/models--org--name/refs/<revision>                  the commit, no newline
 */
import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import {
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

export type HfRepoType = 'model' | 'dataset' | 'space';

export function repoFolderName(repo: string, type: HfRepoType = 'model'): string {
  return [`${type}s`, ...repo.split('/')].join('--');
}

/** `models--org--name` -> { repo: 'org/name', type: 'model' }, or undefined for other folders. */
export function parseRepoFolderName(name: string): { repo: string; type: HfRepoType } | undefined {
  const [kind, ...parts] = name.split('--');
  const type = ({ models: 'model', datasets: 'dataset', spaces: 'space' } as const)[
    kind as 'models'
  ];
  if (!type || parts.length === 0 || parts.some((part) => part === '')) return undefined;
  return { repo: parts.join('/'), type };
}

export function repoCacheDir(cacheDir: string, repo: string, type: HfRepoType = 'model'): string {
  return join(cacheDir, repoFolderName(repo, type));
}

export function blobPathOf(repoDir: string, etag: string): string {
  return join(repoDir, 'blobs', etag);
}

export function snapshotDirOf(repoDir: string, commit: string): string {
  return join(repoDir, 'snapshots', commit);
}

/** A repo path (posix, from the hub) as a local path under `root`; rejects escapes. */
export function joinRepoPath(root: string, path: string): string {
  const segments = path.split('/');
  if (
    path.startsWith('/') ||
    path.includes('\\') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    throw new Error(`Refusing the repo path "${path}": it would leave the cache folder.`);
  }
  return join(root, ...segments);
}

export async function readRef(repoDir: string, revision: string): Promise<string | undefined> {
  try {
    const commit = (await readFile(joinRepoPath(join(repoDir, 'refs'), revision), 'utf8')).trim();
    return commit || undefined;
  } catch {
    return undefined;
  }
}

/** Writes refs/<revision> as huggingface_hub does: the commit, no newline. */
export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  const path = joinRepoPath(join(repoDir, 'refs'), revision);
  if ((await readRef(repoDir, revision)) === commit) return;
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, commit);
  await rename(temporary, path);
}

function isSymlinkUnsupported(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EINVAL';
}

/**
 * Points snapshots/<commit>/<path> at blobs/<etag> with a relative symlink (so the cache
 * survives being moved), replacing whatever was there atomically. Where symlinks are not
 * allowed (Windows without developer mode), the blob is copied, as huggingface_hub does.
 */
export async function linkSnapshotFile(
  repoDir: string,
  commit: string,
  path: string,
  etag: string,
): Promise<string> {
  const pointer = joinRepoPath(snapshotDirOf(repoDir, commit), path);
  const blob = blobPathOf(repoDir, etag);
  await mkdir(dirname(pointer), { recursive: true });
  const temporary = `${pointer}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await symlink(relative(dirname(pointer), blob), temporary);
  } catch (error) {
    if (!isSymlinkUnsupported(error)) throw error;
    await copyFile(blob, temporary);
  }
  await rename(temporary, pointer);
  return pointer;
}

/** True when the path exists and (following links) is a file. */
export async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

export interface SnapshotFile {
  /** Repo path (posix). */
  path: string;
  /** Where it lives locally (the link). */
  localPath: string;
  size: number;
  /** The blob it points to, when it is a link into blobs/. */
  blob?: string;
}

/** Every file of a snapshot (recursively), skipping broken links. */
export async function listSnapshotFiles(snapshotDir: string): Promise<SnapshotFile[]> {
  const files: SnapshotFile[] = [];
  const walk = async (folder: string, prefix: string) => {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.endsWith('.tmp')) continue;
      const localPath = join(folder, entry.name);
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        await walk(localPath, path);
        continue;
      }
      const info = await stat(localPath).catch(() => undefined);
      if (!info?.isFile()) continue;
      const blob = entry.isSymbolicLink()
        ? await realpath(localPath).then(
            (target) => target.split(sep).pop(),
            () => undefined,
          )
        : undefined;
      files.push({ path, localPath, size: info.size, ...(blob ? { blob } : {}) });
    }
  };
  await walk(snapshotDir, '');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface HfCachedRevision {
  commit: string;
  /** Refs pointing at this commit (`main`, tags). */
  refs: string[];
  path: string;
  files: SnapshotFile[];
  /** Bytes of the files of this revision. */
  size: number;
}

export interface HfCachedRepo {
  repo: string;
  type: HfRepoType;
  path: string;
  /** Bytes on disk of complete blobs (shared blobs counted once). */
  size: number;
  blobCount: number;
  /** Bytes of downloads in progress (`.incomplete`), resumable. */
  incompleteSize: number;
  revisions: HfCachedRevision[];
  /** Ref name -> commit. */
  refs: Record<string, string>;
  lastModified: Date;
}

export interface HfCacheInfo {
  cacheDir: string;
  repos: HfCachedRepo[];
  /** Bytes of all complete blobs. */
  size: number;
  /** Folders that look like cache entries but could not be read. */
  warnings: string[];
}

async function readRefs(refsDir: string, prefix = ''): Promise<Record<string, string>> {
  const refs: Record<string, string> = {};
  const entries = await readdir(refsDir, { withFileTypes: true }).catch(() => [] as Dirent[]);
  for (const entry of entries) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      Object.assign(refs, await readRefs(join(refsDir, entry.name), name));
    } else if (!entry.name.endsWith('.tmp')) {
      const commit = (await readFile(join(refsDir, entry.name), 'utf8').catch(() => '')).trim();
      if (commit) refs[name] = commit;
    }
  }
  return refs;
}

export async function scanCachedRepo(
  repoDir: string,
  repo: string,
  type: HfRepoType,
): Promise<HfCachedRepo> {
  const refs = await readRefs(join(repoDir, 'refs'));
  let size = 0;
  let blobCount = 0;
  let incompleteSize = 0;
  let lastModified = (await stat(repoDir)).mtimeMs;
  const blobs = await readdir(join(repoDir, 'blobs'), { withFileTypes: true }).catch(
    () => [] as Dirent[],
  );
  for (const entry of blobs) {
    if (!entry.isFile()) continue;
    const info = await lstat(join(repoDir, 'blobs', entry.name));
    lastModified = Math.max(lastModified, info.mtimeMs);
    if (entry.name.endsWith('.incomplete')) incompleteSize += info.size;
    else {
      size += info.size;
      blobCount++;
    }
  }
  const revisions: HfCachedRevision[] = [];
  const snapshots = await readdir(join(repoDir, 'snapshots'), { withFileTypes: true }).catch(
    () => [] as Dirent[],
  );
  for (const entry of snapshots) {
    if (!entry.isDirectory()) continue;
    const path = join(repoDir, 'snapshots', entry.name);
    const files = await listSnapshotFiles(path);
    revisions.push({
      commit: entry.name,
      refs: Object.keys(refs)
        .filter((ref) => refs[ref] === entry.name)
        .sort(),
      path,
      files,
      size: files.reduce((total, file) => total + file.size, 0),
    });
  }
  return {
    repo,
    type,
    path: repoDir,
    size,
    blobCount,
    incompleteSize,
    revisions,
    refs,
    lastModified: new Date(lastModified),
  };
}

/** What the cache holds: every repo, its revisions, refs and sizes (like `hf cache scan`). */
export async function scanHfCache(cacheDir: string): Promise<HfCacheInfo> {
  const repos: HfCachedRepo[] = [];
  const warnings: string[] = [];
  const entries = await readdir(cacheDir, { withFileTypes: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [] as Dirent[];
    throw error;
  });
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const parsed = parseRepoFolderName(entry.name);
    if (!parsed) continue;
    try {
      repos.push(await scanCachedRepo(join(cacheDir, entry.name), parsed.repo, parsed.type));
    } catch (error) {
      warnings.push(`${join(cacheDir, entry.name)}: ${(error as Error).message}`);
    }
  }
  repos.sort((a, b) => (a.repo < b.repo ? -1 : a.repo > b.repo ? 1 : 0));
  return { cacheDir, repos, size: repos.reduce((total, repo) => total + repo.size, 0), warnings };
}

/** Deletes blobs (and their `.incomplete`) that no snapshot links to any more. */
export async function removeOrphanBlobs(
  repoDir: string,
): Promise<{ paths: string[]; bytes: number }> {
  const linked = new Set<string>();
  const snapshots = await readdir(join(repoDir, 'snapshots')).catch(() => [] as string[]);
  for (const commit of snapshots) {
    for (const file of await listSnapshotFiles(join(repoDir, 'snapshots', commit))) {
      if (file.blob) linked.add(file.blob);
    }
  }
  const paths: string[] = [];
  let bytes = 0;
  for (const name of await readdir(join(repoDir, 'blobs')).catch(() => [] as string[])) {
    if (name.endsWith('.incomplete') || linked.has(name)) continue;
    const path = join(repoDir, 'blobs', name);
    bytes += (await lstat(path)).size;
    await rm(path, { force: true });
    paths.push(path);
  }
  return { paths, bytes };
}

/** Removes empty folders from `folder` up to (not including) `stop`. */
export async function pruneEmptyFolders(folder: string, stop: string): Promise<void> {
  let current = folder;
  while (current.startsWith(stop) && current !== stop) {
    const entries = await readdir(current).catch(() => undefined);
    if (!entries || entries.length > 0) return;
    await rm(current, { recursive: true, force: true });
    current = dirname(current);
  }
}
