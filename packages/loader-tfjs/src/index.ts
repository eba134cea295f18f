/**
 * @llmr/loader-tfjs — TensorFlow.js graph and layers models (`model.json` + weight shards),
 * checked and bounded before they reach the official TF.js runtimes.
 */
export { type LoadTfjsOptions, loadTfjsModel, type TfjsModel } from './load-tfjs-model';
export {
  DEFAULT_TFJS_LIMITS,
  readTfjsArtifacts,
  type TfjsArtifacts,
  type TfjsLimits,
  type TfjsModelBytes,
  type TfjsWeightSpec,
  tfjsArtifacts,
} from './tfjs-artifacts';
