import { describe, expect, it } from 'vitest';
import { GgmlType, LlamaFileType, llamaFileTypeName } from './ggml-type';
import { parseGgufHeader } from './gguf-header-parser';
import {
  getGgufArchitecture,
  getGgufChatTemplate,
  getGgufContextLength,
  getGgufModelInfo,
  getGgufNumber,
  getGgufString,
  getGgufStringArray,
  ggufParameterCount,
} from './gguf-model-info';
import { GgufValueType } from './gguf-types';
import { writeGgufToBuffer } from './gguf-writer';

async function header(
  metadata: Parameters<typeof writeGgufToBuffer>[0]['metadata'],
  tensors: Parameters<typeof writeGgufToBuffer>[0]['tensors'] = [],
) {
  return parseGgufHeader(await writeGgufToBuffer({ metadata, tensors }));
}

describe('GGUF typed accessors', () => {
  it('reads a llama-style model', async () => {
    const template = "{% for message in messages %}{{ message['content'] }}{% endfor %}";
    const parsed = await header(
      {
        'general.architecture': 'llama',
        'general.name': 'Tiny',
        'general.file_type': LlamaFileType.MOSTLY_Q8_0,
        'general.quantization_version': 2,
        'llama.context_length': 4096,
        'llama.embedding_length': 64,
        'llama.block_count': 2,
        'llama.feed_forward_length': 256,
        'llama.attention.head_count': 4,
        'llama.attention.head_count_kv': [2, 1],
        'llama.rope.freq_base': 500000,
        'llama.rope.dimension_count': 16,
        'llama.attention.layer_norm_rms_epsilon': 1e-5,
        'tokenizer.ggml.model': 'gpt2',
        'tokenizer.ggml.pre': 'llama-bpe',
        'tokenizer.ggml.tokens': ['<s>', '</s>', 'a', 'b'],
        'tokenizer.ggml.token_type': [3, 3, 1, 1],
        'tokenizer.ggml.merges': ['a b'],
        'tokenizer.ggml.bos_token_id': 0,
        'tokenizer.ggml.eos_token_id': 1,
        'tokenizer.ggml.add_bos_token': true,
        'tokenizer.chat_template': template,
      },
      [
        {
          name: 'token_embd.weight',
          dims: [64, 4],
          type: GgmlType.F16,
          data: new Float32Array(256),
        },
        {
          name: 'blk.0.attn_q.weight',
          dims: [64, 64],
          type: GgmlType.Q8_0,
          data: new Float32Array(4096),
        },
      ],
    );
    const info = getGgufModelInfo(parsed);
    expect(info).toEqual({
      architecture: 'llama',
      name: 'Tiny',
      fileType: 7,
      fileTypeName: 'Q8_0',
      quantizationVersion: 2,
      contextLength: 4096,
      embeddingLength: 64,
      blockCount: 2,
      feedForwardLength: 256,
      headCount: 4,
      headCountKv: [2, 1],
      vocabSize: 4,
      ropeFreqBase: 500000,
      ropeDimensionCount: 16,
      rmsNormEpsilon: Math.fround(1e-5),
      parameterCount: 256 + 4096,
      tokenizer: {
        model: 'gpt2',
        pre: 'llama-bpe',
        tokens: ['<s>', '</s>', 'a', 'b'],
        tokenTypes: [3, 3, 1, 1],
        merges: ['a b'],
        bosTokenId: 0,
        eosTokenId: 1,
        addBosToken: true,
        chatTemplate: template,
      },
      chatTemplate: template,
    });
    expect(getGgufArchitecture(parsed)).toBe('llama');
    expect(getGgufContextLength(parsed)).toBe(4096);
    expect(getGgufChatTemplate(parsed)).toBe(template);
    expect(ggufParameterCount(parsed)).toBe(4352);
  });

  it('converts 64-bit integers that fit and refuses those that do not', async () => {
    const parsed = await header({
      'general.architecture': 'x',
      'x.context_length': { type: GgufValueType.UINT64, value: 131072n },
      'x.block_count': { type: GgufValueType.UINT64, value: 2n ** 60n },
    });
    expect(getGgufContextLength(parsed)).toBe(131072);
    expect(() => getGgufNumber(parsed, 'x.block_count')).toThrow(
      expect.objectContaining({ code: 'gguf-invalid-value' }),
    );
  });

  it('refuses mistyped values with gguf-invalid-value', async () => {
    const parsed = await header({
      'general.architecture': 7,
      'tokenizer.ggml.tokens': [1, 2],
      'a.string': 'x',
    });
    expect(() => getGgufArchitecture(parsed)).toThrow(/should be a string but is number 7/);
    expect(() => getGgufStringArray(parsed, 'tokenizer.ggml.tokens')).toThrow(
      expect.objectContaining({ code: 'gguf-invalid-value' }),
    );
    expect(() => getGgufNumber(parsed, 'a.string')).toThrow(/should be a number/);
    expect(() => getGgufModelInfo(parsed)).toThrow(
      expect.objectContaining({ code: 'gguf-invalid-value' }),
    );
  });

  it('leaves absent keys out', async () => {
    const parsed = await header({});
    expect(getGgufModelInfo(parsed)).toEqual({ parameterCount: 0, tokenizer: {} });
    expect(getGgufString(parsed, 'general.name')).toBeUndefined();
    expect(llamaFileTypeName(15)).toBe('Q4_K_M');
    expect(llamaFileTypeName(0)).toBe('F32');
    expect(llamaFileTypeName(999)).toBeUndefined();
  });
});
