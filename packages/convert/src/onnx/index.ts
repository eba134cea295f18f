/** HF -> ONNX export: the graph builder, the Llama decoder graph and the directory writer. */
export {
  type ConvertToOnnxOptions,
  type ConvertToOnnxResult,
  convertHfToOnnx,
  hfModelToOnnxBytes,
  ONNX_PROTOBUF_LIMIT,
  writeHfModelAsOnnx,
} from './convert-hf-to-onnx';
export {
  buildLlamaDecoderGraph,
  type LlamaDecoderGraph,
  type LlamaDecoderOptions,
  ONNX_DTYPES,
  type OnnxDtype,
} from './llama-decoder-graph';
export {
  DEFAULT_OPSETS,
  elementCount,
  IR_VERSION,
  ONNX_DATA_TYPE,
  type OnnxAttributeValue,
  type OnnxDataType,
  type OnnxDim,
  type OnnxExternalLocation,
  OnnxGraphBuilder,
  type OnnxInitializer,
  type OnnxModelOptions,
  type OnnxNode,
  type OnnxValueInfo,
} from './onnx-graph-builder';
export {
  dequantizeMatMulNBits,
  type MatMulNBitsWeight,
  quantizeMatMulNBits,
} from './onnx-quantize';
export { concatMessage, ProtoBuilder, type ProtoMessage } from './protobuf-writer';
