/** The one shape a pull answers, whether it downloaded or read the cache alone. */
import { joinRepoPath } from './hf-cache';
import type { HfPulledFile, HfPullResult } from './pull-types';
import type { HfFileSelection } from './select-files';

/** Where the pulled snapshot lies: the part of the result known before the files. */
export type PulledSnapshot = Pick<
  HfPullResult,
  'source' | 'repo' | 'revision' | 'commit' | 'cacheDir' | 'repoDir' | 'snapshotDir'
>;

export function pullResult(
  snapshot: PulledSnapshot,
  selection: HfFileSelection,
  files: HfPulledFile[],
  fromCache?: HfPullResult['fromCache'],
): HfPullResult {
  return {
    ...snapshot,
    // A file source is the file itself; a repo or folder source is the snapshot folder.
    localPath: selection.entry
      ? joinRepoPath(snapshot.snapshotDir, selection.entry)
      : snapshot.snapshotDir,
    layout: selection.layout,
    loadOptions: selection.loadOptions,
    description: selection.description,
    files,
    bytesTransferred: files.reduce((sum, file) => sum + file.transferred, 0),
    ...(fromCache ? { fromCache } : {}),
  };
}
