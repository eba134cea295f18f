/**
 * PGlite's file system for a directory, made durable. PGlite (0.5) starts PostgreSQL with
 * `-F` (fsync off), and even without it an fsync would do nothing: the Emscripten NODEFS
 * it writes through has no `fsync` operation, and its `fdatasync` is a stub. So a write
 * PGlite acknowledged sits in the operating system's page cache: it survives the process
 * being killed, not a power cut or a kernel crash. (`relaxedDurability` does not help:
 * it only decides whether in-memory file systems such as IndexedDB are flushed after
 * each query; NODEFS has nothing to flush.)
 *
 * This adds the missing operation (`fsync` -> Node's `fs.fsyncSync` on the real file)
 * and starts PostgreSQL with fsync on and `wal_sync_method=fsync` (the one sync call that
 * reaches the operation), so a commit returns only once its WAL record is on disk, as
 * with a PostgreSQL server.
 */
import fs from 'node:fs';
import { NodeFS } from '@electric-sql/pglite/nodefs';

type PostgresModule = Parameters<NodeFS['init']>[1];
interface NodeFsStream {
  nfd?: number;
}
interface NodeFsModule {
  NODEFS: { stream_ops: { fsync?: (stream: NodeFsStream) => number } };
}

export class DurableNodeFS extends NodeFS {
  override async init(pg: Parameters<NodeFS['init']>[0], options: PostgresModule) {
    const { emscriptenOpts } = await super.init(pg, options);
    const preRun = [emscriptenOpts.preRun ?? []].flat();
    return {
      emscriptenOpts: {
        ...emscriptenOpts,
        preRun: [
          ...preRun,
          (module: unknown) => {
            // Every NODEFS file shares this one table of stream operations.
            (module as NodeFsModule).NODEFS.stream_ops.fsync = (stream) => {
              if (stream.nfd !== undefined) fs.fsyncSync(stream.nfd);
              return 0;
            };
          },
        ],
      } as PostgresModule,
    };
  }
}

/** PGlite's own start parameters, less `-F` (fsync off), with the WAL synced by fsync(). */
export function durableStartParams(defaults: readonly string[]): string[] {
  const params = defaults.filter((param) => param !== '-F');
  return [
    ...params,
    '-c',
    'fsync=on',
    '-c',
    'wal_sync_method=fsync',
    '-c',
    'synchronous_commit=on',
  ];
}
