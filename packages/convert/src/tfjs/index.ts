/** HF -> TF.js export: the graph builder, the Llama decoder graph and the directory writer. */
export { buildBertTfjsGraph, isBertConfig } from './bert-tfjs-graph';
export {
  type ConvertToTfjsOptions,
  type ConvertToTfjsResult,
  convertHfToTfjs,
  hfModelToTfjs,
  type TfjsModelFiles,
  writeHfModelAsTfjs,
} from './convert-hf-to-tfjs';
export {
  buildLlamaTfjsGraph,
  type LlamaTfjsGraph,
  type LlamaTfjsOptions,
  TFJS_DTYPES,
  type TfjsDtype,
} from './llama-tfjs-graph';
export {
  shardWeights,
  TFJS_SHARD_BYTES,
  type TfjsAttribute,
  type TfjsDataType,
  TfjsGraphBuilder,
  type TfjsNode,
  type TfjsWeightEntry,
  tfType,
  transposeMatrix,
} from './tfjs-graph-builder';
