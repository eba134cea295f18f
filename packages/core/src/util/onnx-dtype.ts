/**
 * transformers.js's ONNX file name for each dtype, and the names people also use for
 * them. The hub loader (which files to download) and the ONNX loader (which file to open)
 * must agree on this table, so it lives here once.
 */
export const ONNX_DTYPE_FILES: Readonly<Record<string, string>> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q8: 'model_quantized.onnx',
  int8: 'model_int8.onnx',
  uint8: 'model_uint8.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
  bnb4: 'model_bnb4.onnx',
};

const ONNX_DTYPE_ALIASES: Readonly<Record<string, string>> = {
  f32: 'fp32',
  float32: 'fp32',
  f16: 'fp16',
  float16: 'fp16',
  // transformers.js v2 called q8 `quantized`, after its file name.
  quantized: 'q8',
};

/** The canonical dtype for a name (`F16`, `float16`, `quantized`), or undefined if unknown. */
export function normalizeOnnxDtype(name: string): string | undefined {
  const lower = name.toLowerCase();
  const dtype = ONNX_DTYPE_ALIASES[lower] ?? lower;
  return Object.hasOwn(ONNX_DTYPE_FILES, dtype) ? dtype : undefined;
}
