/**
 * @llmr/loader-convert — runs Hugging Face directories (safetensors or PyTorch weights) and
 * llama2.c checkpoints by converting them on first use (to GGUF, or to an ONNX model directory
 * for ONNX engines), cached by content, and loading the result through the registry it is given.
 */
export { conversionKey, hashFiles } from './content-hash';
export {
  CONVERTER_REVISION,
  type ConversionTarget,
  type ConvertedModel,
  defaultCacheDir,
  ensureConverted,
  locateConverted,
} from './conversion-cache';
export {
  type ConvertLoader,
  type ConvertLoaderSettings,
  type ConvertLoadOptions,
  convertLoader,
  createConvertLoader,
} from './convert-loader';
export { type SourceFiles, sourceFiles } from './source-files';
