/**
 * @llmr/loader-convert — runs Hugging Face directories (safetensors or PyTorch weights) and
 * llama2.c checkpoints by converting them to GGUF on first use, cached by content, and loading
 * the GGUF through the registry it is given.
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
