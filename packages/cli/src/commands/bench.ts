/**
 * `llmr bench <source>`: time to first token, prefill and decode tokens/s, and aggregate
 * tokens/s with concurrent streams, through llmr, for any model source.
 */
import type { ModelV1 } from '@llmr/core';
import type { Command } from 'commander';
import { DEFAULT_MODEL_ID, ensureDefaultModel } from '../default-model';
import { parseNumber } from '../output';
import { createDefaultRegistry } from '../plugins';

export interface BenchOptions {
  promptTokens: number;
  tokens: number;
  streams: number[];
  runs: number;
  json?: boolean;
  /** Passed to the loader: `auto`, `false`/`off`, or a backend (`cuda`, `vulkan`, `metal`). */
  gpu?: string;
}

async function once(model: ModelV1, prompt: string, tokens: number) {
  const start = performance.now();
  const { stream } = await model.doStream({ prompt, maxTokens: tokens, temperature: 0 });
  const reader = stream.getReader();
  let first = 0;
  let count = 0;
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    if (part.value.type === 'text-delta' && part.value.tokens?.length) {
      if (!first) first = performance.now();
      count += part.value.tokens.length;
    }
  }
  const end = performance.now();
  return {
    ttftMs: first - start,
    decodeTokensPerSecond: count > 1 ? (count - 1) / ((end - first) / 1000) : 0,
    tokens: count,
    seconds: (end - start) / 1000,
  };
}

export async function benchCommand(requested: string, options: BenchOptions): Promise<void> {
  const registry = await createDefaultRegistry();
  const source =
    requested === 'default' || requested === DEFAULT_MODEL_ID
      ? await ensureDefaultModel()
      : requested;
  const model = await registry.load(source, {
    sequences: Math.max(...options.streams),
    ...(options.gpu !== undefined
      ? { gpu: options.gpu === 'false' || options.gpu === 'off' ? false : options.gpu }
      : {}),
  });
  try {
    const word = 'the model reads tokens and writes tokens ';
    let prompt = word;
    if (model.tokenizer)
      while (model.tokenizer.encode(prompt).length < options.promptTokens) prompt += word;
    await once(model, prompt, 4); // warm-up
    const single = [];
    for (let run = 0; run < options.runs; run++)
      single.push(await once(model, `${run} ${prompt}`, options.tokens));
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const ttft = median(single.map((result) => result.ttftMs));
    const rows = [
      {
        streams: 1,
        ttftMs: ttft,
        prefillTokensPerSecond: options.promptTokens / (ttft / 1000),
        decodeTokensPerSecond: median(single.map((result) => result.decodeTokensPerSecond)),
        aggregateTokensPerSecond: median(single.map((result) => result.tokens / result.seconds)),
      },
    ];
    for (const streams of options.streams.filter((count) => count > 1)) {
      const start = performance.now();
      const results = await Promise.all(
        Array.from({ length: streams }, (_, index) =>
          once(model, `${streams}-${index} ${prompt}`, options.tokens),
        ),
      );
      const seconds = (performance.now() - start) / 1000;
      rows.push({
        streams,
        ttftMs: median(results.map((result) => result.ttftMs)),
        prefillTokensPerSecond:
          (streams * options.promptTokens) /
          (Math.max(...results.map((result) => result.ttftMs)) / 1000),
        decodeTokensPerSecond: median(results.map((result) => result.decodeTokensPerSecond)),
        aggregateTokensPerSecond: results.reduce((sum, result) => sum + result.tokens, 0) / seconds,
      });
    }
    const report = {
      bench: 'llmr',
      model: model.info.id,
      loader: model.resolution.loader.name,
      // What ran (a GPU asked for but unavailable falls back): `cpu`, `cuda`, ...
      backend: model.info.backend ?? 'unknown',
      ...(model.resources ? { residentBytes: model.resources().total } : {}),
      promptTokens: options.promptTokens,
      tokens: options.tokens,
      rows,
    };
    if (!options.json) {
      console.log(`${model.info.id} on ${report.backend} (${report.loader})`);
      console.table(
        rows.map((row) =>
          Object.fromEntries(
            Object.entries(row).map(([key, value]) => [key, Number(value.toFixed(2))]),
          ),
        ),
      );
    }
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await model.dispose();
  }
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('Measure time to first token and tokens/s of a model through llmr (table + JSON).')
    .argument('<source>', 'model source (`default`, a .gguf path, mock:random, ...)')
    .option(
      '--prompt-tokens <n>',
      'prompt length in tokens',
      parseNumber('--prompt-tokens', true),
      64,
    )
    .option('-n, --tokens <n>', 'tokens to generate per stream', parseNumber('--tokens', true), 64)
    .option(
      '--streams <n...>',
      'concurrent streams to measure',
      (value: string, previous: number[] | undefined) => [
        ...(previous ?? []),
        parseNumber('--streams', true)(value),
      ],
    )
    .option('--runs <n>', 'single-stream runs (median reported)', parseNumber('--runs', true), 3)
    .option('--json', 'print only the JSON line')
    .option('--gpu <backend>', 'auto (default), false, cuda, vulkan or metal (GGUF models)')
    .action((source: string, options: BenchOptions) =>
      benchCommand(source, { ...options, streams: options.streams ?? [1, 4] }),
    );
}
