/**
 * `llmr validate <source> [--against <source>]`: the conformance kit on a model source, and
 * with --against a comparison of two formats or engines of one model on a probe set
 * (compareModels in @llmr/core/test/kit does the work; this file parses, loads and prints).
 * Exit 0 when everything agrees, 1 when something differs or fails, 2 on usage errors.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { InvalidArgumentError, type ModelV1, NoSuchLoaderError, type Registry } from '@llmr/core';
import {
  type ConformanceReport,
  checkModel,
  compareModels,
  type ModelComparison,
  resolveCompareOptions,
} from '@llmr/core/test/kit';
import type { Command } from 'commander';
import { parseNumber } from '../output';
import { createDefaultRegistry } from '../plugins';

export interface ValidateOptions {
  against?: string;
  json?: boolean;
  tolerance?: number;
  steps?: number;
  prompts?: string;
  engine?: string;
  againstEngine?: string;
  /** False with --no-conformance. */
  conformance: boolean;
}

const MAX_PROMPTS_FILE_BYTES = 1 << 20;

/** Prompts from a file: a JSON array of strings, or one prompt per non-empty line. */
export async function readPromptsFile(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  const fail = (message: string) =>
    new InvalidArgumentError({ argument: '--prompts', value: path, message });
  if (!info?.isFile()) throw fail(`--prompts ${path}: no such file.`);
  if (info.size > MAX_PROMPTS_FILE_BYTES)
    throw fail(`--prompts ${path} is ${info.size} bytes; the limit is 1 MiB.`);
  const text = await readFile(path, 'utf8');
  if (path.endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw fail(`--prompts ${path} is not valid JSON (${(error as Error).message}).`);
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string' && item)) {
      throw fail(`--prompts ${path} must hold a JSON array of non-empty strings.`);
    }
    return parsed as string[];
  }
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) throw fail(`--prompts ${path} has no prompts: write one per line.`);
  return lines;
}

/** A local path that does not exist is a usage error; URIs (hf:, mock:) go to the loaders. */
function checkSource(source: string, argument: string) {
  const uri = /^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source);
  if (!uri && !existsSync(source)) {
    throw new InvalidArgumentError({
      argument,
      value: source,
      message: `Cannot open ${source}: no such file or directory. Pass a .gguf file, a Hugging Face model directory, an ONNX model directory, a llama2.c .bin or an hf:org/name source.`,
    });
  }
}

async function load(registry: Registry, source: string, argument: string, engine?: string) {
  try {
    return await registry.load(source, engine ? { engineName: engine } : {});
  } catch (error) {
    // A file no loader recognizes is bad input, like a missing one.
    if (NoSuchLoaderError.isInstance(error)) {
      throw new InvalidArgumentError({
        argument,
        value: source,
        message: `${error.message} Pass a model llmr can load: a .gguf file, a Hugging Face model directory, an ONNX model directory or a llama2.c .bin.`,
      });
    }
    throw error;
  }
}

function conformance(registry: Registry, source: string, argument: string, engine?: string) {
  return checkModel(
    { name: source, createModel: () => load(registry, source, argument, engine) },
    { throwOnFailure: false },
  );
}

function reportJson(report: ConformanceReport) {
  return {
    ...report,
    failed: report.failed.map(({ check, error }) => ({
      check,
      message: error instanceof Error ? error.message : String(error),
    })),
  };
}

function printReport(source: string, report: ConformanceReport) {
  const total = report.passed.length + report.failed.length;
  process.stdout.write(
    `conformance of ${source}: ${report.passed.length}/${total} checks pass${Object.keys(report.skipped).length ? `, ${Object.keys(report.skipped).length} skipped` : ''}\n`,
  );
  for (const { check, error } of report.failed)
    process.stdout.write(
      `  FAILED  ${check}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
}

function printComparison(source: string, against: string, comparison: ModelComparison) {
  process.stdout.write(
    `\n${source} against ${against}: ${comparison.prompts.length} prompts, ${comparison.steps} greedy steps, tolerance ${comparison.tolerance}\n`,
  );
  const width = Math.max(...comparison.rows.map((row) => row.check.length));
  process.stdout.write(`  ${'check'.padEnd(width)}  result   detail\n`);
  for (const row of comparison.rows)
    process.stdout.write(`  ${row.check.padEnd(width)}  ${row.status.padEnd(7)}  ${row.detail}\n`);
  process.stdout.write(`\n${comparison.agrees ? 'agrees' : 'DIFFERS'}\n`);
}

export async function validateCommand(source: string, options: ValidateOptions): Promise<void> {
  checkSource(source, 'source');
  if (options.against !== undefined) checkSource(options.against, '--against');
  const prompts = options.prompts ? await readPromptsFile(options.prompts) : undefined;
  // Bad flags fail before any model loads.
  const compareOptions = {
    ...(prompts ? { prompts } : {}),
    ...(options.steps !== undefined ? { steps: options.steps } : {}),
    ...(options.tolerance !== undefined ? { tolerance: options.tolerance } : {}),
  };
  resolveCompareOptions(compareOptions);
  const registry = await createDefaultRegistry();
  const reports: Record<string, ConformanceReport> = {};
  if (options.conformance) {
    reports.source = await conformance(registry, source, 'source', options.engine);
    if (options.against !== undefined)
      reports.against = await conformance(
        registry,
        options.against,
        '--against',
        options.againstEngine,
      );
  }
  let comparison: ModelComparison | undefined;
  if (options.against !== undefined) {
    const reference = await load(registry, source, 'source', options.engine);
    let candidate: ModelV1 | undefined;
    try {
      candidate = await load(registry, options.against, '--against', options.againstEngine);
      comparison = await compareModels(reference, candidate, compareOptions);
    } finally {
      await candidate?.dispose();
      await reference.dispose();
    }
  }
  const agrees =
    Object.values(reports).every((report) => report.failed.length === 0) &&
    (comparison?.agrees ?? true);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
        source,
        ...(options.against !== undefined ? { against: options.against } : {}),
        agrees,
        conformance: Object.fromEntries(
          Object.entries(reports).map(([key, report]) => [key, reportJson(report)]),
        ),
        ...(comparison ? { comparison } : {}),
      })}\n`,
    );
  } else {
    if (reports.source) printReport(source, reports.source);
    if (reports.against && options.against) printReport(options.against, reports.against);
    if (comparison && options.against) printComparison(source, options.against, comparison);
    else process.stdout.write(agrees ? 'conforms\n' : 'DOES NOT CONFORM\n');
  }
  if (!agrees) process.exitCode = 1;
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      'Run the conformance checks on a model; with --against, compare two formats or engines of the same model (tokenization, greedy tokens, next-token logprobs). Exit 0 agrees, 1 differs, 2 usage error.',
    )
    .argument('<source>', 'model source: a .gguf path, an HF directory, an ONNX directory, ...')
    .option('--against <source>', 'a second source of the same model to compare with')
    .option(
      '--tolerance <x>',
      'largest accepted logprob difference and KL divergence (default 1e-3)',
      parseNumber('--tolerance', false),
    )
    .option('--steps <n>', 'greedy steps per prompt (default 8)', parseNumber('--steps', true))
    .option('--prompts <file>', 'probe prompts: a JSON array of strings, or one per line')
    .option('--engine <name>', 'engine for <source> when it is a graph model (onnx): node, wasm')
    .option('--against-engine <name>', 'engine for --against (onnx): node, wasm')
    .option('--no-conformance', 'skip the conformance checks; only compare')
    .option('--json', 'print one JSON object')
    .action(validateCommand);
}
