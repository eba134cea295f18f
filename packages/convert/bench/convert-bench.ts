/**
 * HF -> GGUF conversion throughput on a generated model (~1 GB of F32 safetensors, random
 * weights, written to the temp dir at bench time and deleted after), for each output type,
 * next to a plain read + write copy of the same file in the same run (the I/O floor).
 *
 *   pnpm --filter @llmr/convert bench          (LLMR_BENCH_SMALL=1 for ~100 MB)
 */
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createGaussian,
  fixtureTokenizer,
  type LlamaConfig,
  llamaTensorShapes,
  toConfigJson,
  toTokenizerConfig,
  toTokenizerJson,
} from '@llmr/fixtures';
import { writeSafetensors } from '@llmr/safetensors';
import { convertHfToGguf, type GgufDtype } from '../src/index';

const small = process.env.LLMR_BENCH_SMALL === '1';
const bpe = fixtureTokenizer(384);
const config: LlamaConfig = {
  vocabSize: 32000,
  hiddenSize: small ? 512 : 1024,
  intermediateSize: small ? 1408 : 2816,
  numLayers: small ? 4 : 16,
  numHeads: 8,
  numKvHeads: 2,
  ropeTheta: 10000,
  rmsNormEps: 1e-5,
  contextLength: 2048,
  bosTokenId: bpe.specialTokens['<|begin_of_text|>'],
  eosTokenId: bpe.specialTokens['<|im_end|>'],
};

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'llmr-convert-bench-'));
  const input = join(dir, 'hf');
  await mkdir(input);
  try {
    const shapes = llamaTensorShapes(config);
    const started = performance.now();
    await writeSafetensors(
      join(input, 'model.safetensors'),
      shapes.map(([name, shape], index) => ({
        name,
        dtype: 'F32' as const,
        shape,
        data: () => {
          const gaussian = createGaussian(index + 1);
          const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
          for (let i = 0; i < data.length; i++)
            data[i] = shape.length === 1 ? 1 : 0.02 * gaussian();
          return data;
        },
      })),
    );
    await writeFile(join(input, 'config.json'), JSON.stringify(toConfigJson(config)));
    await writeFile(join(input, 'tokenizer.json'), JSON.stringify(toTokenizerJson(bpe)));
    await writeFile(join(input, 'tokenizer_config.json'), JSON.stringify(toTokenizerConfig(bpe)));
    const inputBytes = (await stat(join(input, 'model.safetensors'))).size;
    process.stderr.write(
      `generated ${(inputBytes / 1e6).toFixed(0)} MB of F32 safetensors in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );

    const rows: Record<string, number | string>[] = [];
    const copyStart = performance.now();
    await copyFile(join(input, 'model.safetensors'), join(dir, 'copy.bin'));
    const copySeconds = (performance.now() - copyStart) / 1000;
    rows.push({
      task: 'file copy (I/O floor)',
      inputMBps: inputBytes / 1e6 / copySeconds,
      seconds: copySeconds,
      outputMB: inputBytes / 1e6,
    });
    await rm(join(dir, 'copy.bin'));
    for (const dtype of ['f32', 'f16', 'q8_0', 'q4_0'] as GgufDtype[]) {
      const output = join(dir, `out-${dtype}.gguf`);
      const start = performance.now();
      const result = await convertHfToGguf({ input, output, dtype });
      const seconds = (performance.now() - start) / 1000;
      rows.push({
        task: `HF -> GGUF ${dtype}`,
        inputMBps: inputBytes / 1e6 / seconds,
        seconds,
        outputMB: result.byteLength / 1e6,
      });
      await rm(output);
    }
    console.table(
      rows.map((row) => ({
        ...row,
        inputMBps: Number(row.inputMBps).toFixed(0),
        seconds: Number(row.seconds).toFixed(2),
        outputMB: Number(row.outputMB).toFixed(0),
      })),
    );
    console.log(
      JSON.stringify({
        bench: 'convert',
        inputMB: inputBytes / 1e6,
        parameters: inputBytes / 4,
        rows,
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
