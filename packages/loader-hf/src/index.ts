/**
 * @llmr/loader-hf — `hf:org/repo[@revision][/path][:quant]` sources: models from the
 * Hugging Face hub, downloaded (resumable, verified, several files at once) into the
 * huggingface_hub cache and loaded by the format loader the registry picks.
 */

// The dtype table moved to @llmr/core; re-exported so existing imports keep working.
export { ONNX_DTYPE_FILES } from '@llmr/core';
export {
  type BlobProgress,
  type DownloadBlobOptions,
  type DownloadBlobResult,
  downloadBlob,
} from './download-blob';
export {
  blobPathOf,
  type HfCachedRepo,
  type HfCachedRevision,
  type HfCacheInfo,
  type HfRepoType,
  linkSnapshotFile,
  listSnapshotFiles,
  parseRepoFolderName,
  readRef,
  repoCacheDir,
  repoFolderName,
  type SnapshotFile,
  scanHfCache,
  snapshotDirOf,
  writeRef,
} from './hf-cache';
export {
  DEFAULT_HF_ENDPOINT,
  type HfEnvironment,
  type HfEnvironmentOptions,
  hfCacheDir,
  hfHome,
  resolveHfEnvironment,
} from './hf-environment';
export { formatBytes, HfError, type HfErrorCode } from './hf-error';
export {
  createHfLoader,
  type HfLoader,
  type HfLoaderSettings,
  type HfLoadOptions,
  hfLoader,
} from './hf-loader';
export {
  formatHfSource,
  type HfSource,
  isCommitHash,
  isHfSource,
  parseHfSource,
} from './hf-source';
export { createHubFetch, type HubFetch, type HubFetchOptions, parseRetryAfter } from './hub-fetch';
export {
  type HfPulledFile,
  type HfPullOptions,
  type HfPullProgress,
  type HfPullResult,
  type HfRetryInfo,
  pullHfModel,
} from './pull';
export { type RemoveHfCacheResult, removeHfCacheEntries } from './remove';
export {
  GGUF_PREFERENCE,
  type HfFileSelection,
  type HfLayout,
  quantizationOf,
  selectFiles,
} from './select-files';
