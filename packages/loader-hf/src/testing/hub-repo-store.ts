/**
 * Repos as the hub stores them: each file's sha256 and git sha1, LFS pointers for large
 * files, a commit hash derived from the contents, and tree entries as the API lists them.
 */
import { createHash } from 'node:crypto';
import type { HubTestFileInfo, HubTestFiles } from './hub-test-types';

export interface StoredFile extends HubTestFileInfo {
  path: string;
  content: Buffer;
  /** git sha1 of what git stores: the file, or its LFS pointer. */
  oid: string;
  pointerSize: number;
}

export interface StoredRevision {
  name: string;
  commit: string;
  files: Map<string, StoredFile>;
}

export const LFS_EXTENSIONS =
  /\.(gguf|onnx|onnx_data|safetensors|bin|pt|pth|h5|msgpack|model|ckpt)(_\d+)?$/i;

export function gitSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function storeFiles(
  name: string,
  files: HubTestFiles,
  isLfs: (path: string, size: number) => boolean,
): StoredRevision {
  const stored = new Map<string, StoredFile>();
  for (const [path, value] of Object.entries(files)) {
    const content = Buffer.from(typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const lfs = isLfs(path, content.length);
    const pointer = Buffer.from(
      `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${content.length}\n`,
    );
    stored.set(path, {
      path,
      content,
      size: content.length,
      sha256,
      gitSha1: gitSha1(content),
      lfs,
      oid: lfs ? gitSha1(pointer) : gitSha1(content),
      pointerSize: pointer.length,
    });
  }
  const commit = createHash('sha1')
    .update(`${name}\n`)
    .update(
      [...stored.values()]
        .map((file) => `${file.path} ${file.oid}`)
        .sort()
        .join('\n'),
    )
    .digest('hex');
  return { name, commit, files: stored };
}

export function treeEntry(file: StoredFile) {
  return {
    type: 'file',
    oid: file.oid,
    size: file.size,
    path: file.path,
    ...(file.lfs
      ? { lfs: { oid: file.sha256, size: file.size, pointerSize: file.pointerSize } }
      : {}),
  };
}
