/**
 * `llmr convert <hf-dir | llama2c.bin> --to gguf|onnx|tfjs --dtype ... -o <out>`, with a progress
 * bar. HF directories may hold safetensors or PyTorch weights; llama2.c files convert to GGUF.
 */
import { InvalidArgumentError } from '@llmr/core';
import type { Command } from 'commander';
import { createProgressLine } from '../progress';

export interface ConvertOptions {
  to: string;
  dtype?: string;
  output?: string;
  /** llama2.c: its tokenizer.bin or tokenizer.json, when not beside the checkpoint. */
  tokenizer?: string;
  json?: boolean;
}

export async function convertCommand(input: string, options: ConvertOptions): Promise<void> {
  const { convertHfToGguf, convertHfToOnnx, convertHfToTfjs, GGUF_DTYPES, ONNX_DTYPES } =
    await import('@llmr/convert');
  const started = performance.now();
  const progress = createProgressLine((text) => process.stderr.write(text));
  if (options.to !== 'gguf' && options.to !== 'onnx' && options.to !== 'tfjs') {
    throw new InvalidArgumentError({
      argument: '--to',
      value: options.to,
      message: `--to must be gguf, onnx or tfjs; got "${options.to}".`,
    });
  }
  const base = input.replace(/\/+$/, '').replace(/\.bin$/, '');
  let summary: Record<string, unknown>;
  if (options.to === 'gguf') {
    const dtype = (options.dtype ?? 'f16') as (typeof GGUF_DTYPES)[number];
    const output = options.output ?? `${base}-${dtype}.gguf`;
    const result = await convertHfToGguf({
      input,
      output,
      dtype,
      tokenizer: options.tokenizer,
      onProgress: ({ bytesWritten, totalBytes, tensor }) => {
        if (totalBytes > 0)
          progress.update(bytesWritten / totalBytes, tensor ? `writing ${tensor}` : 'writing');
      },
    });
    progress.done();
    summary = {
      output,
      format: 'gguf',
      dtype,
      bytes: result.byteLength,
      tensors: result.tensorCount,
      architecture: result.architecture,
      fallbacks: result.fallbacks,
      notes: result.notes,
    };
  } else {
    // Both graph formats: f32 by default, a folder named after the format and dtype.
    const format = options.to;
    const dtype = options.dtype ?? 'f32';
    const output = options.output ?? `${base}-${format}-${dtype}`;
    let tensors = 0;
    const onProgress = ({ stage, tensor }: { stage: 'tensors' | 'write'; tensor?: string }) => {
      if (stage === 'tensors') tensors++;
      progress.update(
        stage === 'write' ? 1 : 0,
        stage === 'write'
          ? `writing ${format === 'onnx' ? 'onnx/model.onnx' : 'model.json and shards'}`
          : `building ${tensor ?? ''} (${tensors})`,
      );
    };
    const result =
      format === 'onnx'
        ? await convertHfToOnnx({
            input,
            output,
            dtype: dtype as (typeof ONNX_DTYPES)[number],
            onProgress,
          })
        : await convertHfToTfjs({ input, output, dtype: dtype as 'f32' | 'f16', onProgress });
    progress.done();
    summary = { output, format, ...result, dtype };
  }
  summary.seconds = Number(((performance.now() - started) / 1000).toFixed(2));
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stderr.write(
      `wrote ${summary.output} (${summary.format}, ${summary.dtype}) in ${summary.seconds} s\n`,
    );
    for (const note of (summary.notes as string[] | undefined) ?? [])
      process.stderr.write(`note: ${note}\n`);
  }
}

export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .description(
      'Convert a Hugging Face model directory (Llama, Mistral, Qwen2/3, Phi-3, Gemma 2/3; BitNet b1.58 to GGUF) to GGUF or ONNX (Llama, Mistral, Qwen2/3 also to a TF.js graph model), or a llama2.c checkpoint to GGUF.',
    )
    .argument(
      '<source>',
      'directory with config.json, tokenizer files and model.safetensors or pytorch_model.bin (or an index); or a llama2.c .bin',
    )
    .requiredOption('--to <format>', 'gguf, onnx or tfjs')
    .option(
      '--dtype <dtype>',
      'gguf: f32|f16|q8_0|q4_0, K-quants q2_k|q3_k|q4_k|q5_k|q6_k and mixes q4_k_m|q5_k_m, tq1_0|tq2_0 for BitNet (default f16); onnx: f32|f16|q8|q4 (default f32); tfjs: f32|f16 (default f32)',
    )
    .option('-o, --output <path>', 'output file (gguf) or directory (onnx, tfjs)')
    .option(
      '--tokenizer <path>',
      'llama2.c: its tokenizer.bin or tokenizer.json (default: the one beside the file)',
    )
    .option('--json', 'print a JSON summary on stdout')
    .action(convertCommand);
}
