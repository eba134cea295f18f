import { describe, expect, it } from 'vitest';
import { normalizeOnnxDtype, ONNX_DTYPE_FILES } from './onnx-dtype';

describe('normalizeOnnxDtype', () => {
  it('maps every canonical dtype to itself', () => {
    for (const dtype of Object.keys(ONNX_DTYPE_FILES))
      expect(normalizeOnnxDtype(dtype)).toBe(dtype);
  });

  it('accepts aliases in any case', () => {
    expect(normalizeOnnxDtype('F16')).toBe('fp16');
    expect(normalizeOnnxDtype('float32')).toBe('fp32');
    expect(normalizeOnnxDtype('quantized')).toBe('q8');
    expect(ONNX_DTYPE_FILES[normalizeOnnxDtype('Q4')!]).toBe('model_q4.onnx');
  });

  it('rejects unknown names, including inherited object keys', () => {
    expect(normalizeOnnxDtype('q3')).toBeUndefined();
    expect(normalizeOnnxDtype('constructor')).toBeUndefined();
    expect(normalizeOnnxDtype('toString')).toBeUndefined();
  });
});
