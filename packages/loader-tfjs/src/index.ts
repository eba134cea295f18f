/**
 * @llmr/loader-tfjs — TensorFlow.js graph and layers models (`model.json` + weight shards),
 * checked and bounded before they reach the official TF.js runtimes; graph decoders with the
 * ONNX export's KV-cache convention generate text, encoder graphs serve embeddings.
 */
export {
  instantiateTfjsModel,
  type LoadTfjsOptions,
  loadTfjsModel,
  type TfjsModel,
} from './load-tfjs-model';
export {
  DEFAULT_TFJS_LIMITS,
  readTfjsArtifacts,
  readTfjsArtifactsFrom,
  type TfjsArtifacts,
  type TfjsLimits,
  type TfjsModelBytes,
  type TfjsWeightSpec,
  tfjsArtifacts,
  tfjsFilesFor,
} from './tfjs-artifacts';
export { createTfjsEmbeddingModel, type TfjsEmbeddingSettings } from './tfjs-embedding-model';
export {
  httpTfjsFiles,
  localTfjsFiles,
  memoryTfjsFiles,
  type TfjsFiles,
} from './tfjs-files';
export {
  createTfjsLoader,
  loadTfjsModelV1,
  type TfjsLoadOptions,
  tfjsLoader,
} from './tfjs-loader';
export { createTfjsSession, type TfjsSession } from './tfjs-session';
