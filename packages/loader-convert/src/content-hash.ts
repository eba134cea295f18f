/**
 * SHA-256 of source files, remembered by (path, size, mtime) in the cache so a multi-gigabyte
 * checkpoint is hashed once, not on every load.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function hashFile(path: string, onBytes: (count: number) => void): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).byteLength);
  }
  return hash.digest('hex');
}

export interface HashProgress {
  loaded: number;
  total: number;
}

/**
 * `[path, sha256]` for each file, reusing remembered hashes of unchanged files; new hashes are
 * remembered unless `remember` is false (a look-up that must not write to the cache).
 */
export async function hashFiles(
  files: readonly string[],
  memoDir: string,
  onProgress?: (progress: HashProgress) => void,
  remember = true,
): Promise<[string, string][]> {
  const stats = await Promise.all(files.map((file) => stat(file)));
  const total = stats.reduce((sum, info) => sum + info.size, 0);
  let loaded = 0;
  if (remember) await mkdir(memoDir, { recursive: true });
  const hashes: [string, string][] = [];
  for (const [index, file] of files.entries()) {
    const info = stats[index]!;
    const memo = join(memoDir, `${sha256(file)}.json`);
    const remembered = await readFile(memo, 'utf8')
      .then((text) => JSON.parse(text) as { size: number; mtimeMs: number; sha256: string })
      .catch(() => undefined);
    let digest: string;
    if (remembered && remembered.size === info.size && remembered.mtimeMs === info.mtimeMs) {
      digest = remembered.sha256;
      loaded += info.size;
    } else {
      digest = await hashFile(file, (count) => {
        loaded += count;
        onProgress?.({ loaded, total });
      });
      if (remember) {
        const temporary = `${memo}.${process.pid}.tmp`;
        await writeFile(
          temporary,
          JSON.stringify({ size: info.size, mtimeMs: info.mtimeMs, sha256: digest }),
        );
        await rename(temporary, memo);
      }
    }
    hashes.push([file, digest]);
  }
  onProgress?.({ loaded: total, total });
  return hashes;
}

/** The cache key of a conversion: what went in (contents, not paths) and how it was converted. */
export function conversionKey(
  hashes: readonly [string, string][],
  settings: Record<string, unknown>,
): string {
  const contents = hashes.map(([file, digest]) => [file.split(/[\\/]/).at(-1), digest]);
  return sha256(JSON.stringify({ contents, settings })).slice(0, 32);
}
