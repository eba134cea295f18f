import { describe, expect, it } from 'vitest';
import { HfError } from './hf-error';
import { parseHfSource } from './hf-source';
import { missingParts, quantizationOf, selectFiles } from './select-files';

const select = (paths: string[], source: string) => selectFiles(paths, parseHfSource(source));

describe('selectFiles', () => {
  const gguf = [
    'README.md',
    'Qwen3-0.6B-Q4_K_M.gguf',
    'Qwen3-0.6B-Q4_K_S.gguf',
    'Qwen3-0.6B-Q8_0.gguf',
    'Qwen3-0.6B-BF16.gguf',
    'mmproj-Qwen3-F16.gguf',
    'Q2_K/Qwen3-0.6B-Q2_K-00001-of-00002.gguf',
    'Q2_K/Qwen3-0.6B-Q2_K-00002-of-00002.gguf',
  ];

  it('picks the GGUF a quantization names, whole words only', () => {
    expect(select(gguf, 'hf:o/r:Q4_K_M').files).toEqual(['Qwen3-0.6B-Q4_K_M.gguf']);
    expect(select(gguf, 'hf:o/r:q8_0').files).toEqual(['Qwen3-0.6B-Q8_0.gguf']);
    expect(select(gguf, 'hf:o/r:bf16').files).toEqual(['Qwen3-0.6B-BF16.gguf']);
  });

  it('keeps the parts of a split GGUF together and hands over the first', () => {
    const selection = select(gguf, 'hf:o/r:Q2_K');
    expect(selection.files).toEqual([
      'Q2_K/Qwen3-0.6B-Q2_K-00001-of-00002.gguf',
      'Q2_K/Qwen3-0.6B-Q2_K-00002-of-00002.gguf',
    ]);
    expect(selection.entry).toBe('Q2_K/Qwen3-0.6B-Q2_K-00001-of-00002.gguf');
    expect(missingParts(selection)).toEqual([]);
    expect(missingParts({ ...selection, files: [selection.files[0]!] })).toEqual([
      'Q2_K/Qwen3-0.6B-Q2_K-00002-of-00002.gguf',
    ]);
    expect(select(gguf, 'hf:o/r/Q2_K/Qwen3-0.6B-Q2_K-00002-of-00002.gguf').files).toHaveLength(2);
  });

  it("defaults to Q4_K_M (llama.cpp's choice) and never to a projector", () => {
    const selection = select(gguf, 'hf:o/r');
    expect(selection.files).toEqual(['Qwen3-0.6B-Q4_K_M.gguf']);
    expect(selection.description).toContain('also: Q4_K_S, Q8_0, BF16, Q2_K');
    expect(select(['a-Q6_K.gguf', 'mmproj-F16.gguf'], 'hf:o/r').files).toEqual(['a-Q6_K.gguf']);
  });

  it('says when a selector matches several models', () => {
    const paths = ['a-Q4_0.gguf', 'b-Q4_0.gguf'];
    expect(() => select(paths, 'hf:o/r:Q4_0')).toThrow(
      /matches 2 GGUF models.*a-Q4_0\.gguf, b-Q4_0\.gguf/,
    );
  });

  const onnx = [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'README.md',
    'onnx/model.onnx',
    'onnx/model.onnx_data',
    'onnx/model_fp16.onnx',
    'onnx/model_q4.onnx',
    'onnx/model_quantized.onnx',
  ];

  it('picks ONNX files by dtype, with external data and the support files', () => {
    expect(select(onnx, 'hf:o/r:q4')).toMatchObject({
      layout: 'onnx',
      entry: '',
      loadOptions: { fileName: 'model_q4.onnx' },
      files: [
        'config.json',
        'onnx/model_q4.onnx',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ],
    });
    expect(select(onnx, 'hf:o/r:f16').files).toContain('onnx/model_fp16.onnx');
    expect(select(onnx, 'hf:o/r:q8').files).toContain('onnx/model_quantized.onnx');
    expect(select(onnx, 'hf:o/r').files).toEqual(
      expect.arrayContaining(['onnx/model.onnx', 'onnx/model.onnx_data']),
    );
    expect(select(onnx, 'hf:o/r/onnx/model_fp16.onnx').loadOptions).toEqual({
      fileName: 'model_fp16.onnx',
    });
  });

  it('lists what there is when nothing matches', () => {
    let error: unknown;
    try {
      select(onnx, 'hf:o/r:bnb4');
    } catch (caught) {
      error = caught;
    }
    expect(HfError.isInstance(error)).toBe(true);
    expect((error as HfError).message).toMatch(
      /no ONNX file for dtype bnb4 \(onnx\/model_bnb4\.onnx\).*ONNX dtypes: fp32, fp16, q8, q4/,
    );
    expect(() => select(['README.md', 'LICENSE'], 'hf:o/r')).toThrow(
      /no GGUF, ONNX or safetensors model/,
    );
    expect(() => select(onnx, 'hf:o/r/nope.json')).toThrow(/has no file or folder "nope.json"/);
  });

  it('selects inside a folder of the repo', () => {
    const paths = ['a/config.json', 'a/tokenizer.json', 'a/onnx/model.onnx', 'b/x-Q8_0.gguf'];
    expect(select(paths, 'hf:o/r/a')).toMatchObject({ entry: 'a', layout: 'onnx' });
    expect(select(paths, 'hf:o/r/b:Q8_0').entry).toBe('b/x-Q8_0.gguf');
  });

  it('takes safetensors shards and their index, and one copy of Mistral weights', () => {
    const paths = [
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'consolidated.safetensors',
      'pytorch_model.bin',
    ];
    expect(select(paths, 'hf:o/r').files).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
  });

  it('reads quantizations from file names', () => {
    expect(quantizationOf('Llama-3.2-1B-Instruct-Q4_K_M.gguf')).toBe('Q4_K_M');
    expect(quantizationOf('gemma.IQ3_XXS.gguf')).toBe('IQ3_XXS');
    expect(quantizationOf('x-UD-Q4_K_XL.gguf')).toBe('UD-Q4_K_XL');
    expect(quantizationOf('model-f16.gguf')).toBe('F16');
    expect(quantizationOf('model.gguf')).toBeUndefined();
  });
});
