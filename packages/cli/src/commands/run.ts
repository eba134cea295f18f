/**
 * `llmr run <source>`: one-shot generation with --prompt, or an interactive streaming
 * chat without it.
 */
import { createInterface } from 'node:readline/promises';
import {
  collectStream,
  iterateStream,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1Message,
  validateCallOptions,
} from '@llmr/core';
import type { Command } from 'commander';
import { DEFAULT_MODEL_ID, ensureDefaultModel } from '../default-model';
import { parseNumber } from '../output';
import { createDefaultRegistry } from '../plugins';
import { createProgressLine } from '../progress';

export interface RunOptions {
  prompt?: string;
  system?: string;
  raw?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string[];
  json?: boolean;
  engine?: string;
}

function callOptions(
  options: RunOptions,
  content: { prompt: string } | { messages: ModelV1Message[] },
): ModelV1CallOptions {
  const call = {
    ...content,
    maxTokens: options.maxTokens,
    temperature: options.temperature,
    topP: options.topP,
    topK: options.topK,
    seed: options.seed,
    stopSequences: options.stop,
  } as ModelV1CallOptions;
  validateCallOptions(call);
  return call;
}

async function streamTo(
  model: ModelV1,
  call: ModelV1CallOptions,
  write: (text: string) => void,
): Promise<string> {
  const { stream } = await model.doStream(call);
  let text = '';
  for await (const part of iterateStream(stream)) {
    if (part.type === 'text-delta') {
      text += part.delta;
      write(part.delta);
    } else if (part.type === 'error') {
      throw part.error;
    }
  }
  return text;
}

export async function runCommand(requested: string, options: RunOptions): Promise<void> {
  const registry = await createDefaultRegistry();
  const log = (line: string) => {
    if (!options.json) process.stderr.write(`${line}\n`);
  };
  const started = performance.now();
  const source =
    requested === 'default' || requested === DEFAULT_MODEL_ID
      ? await ensureDefaultModel(log)
      : requested;
  const progress = createProgressLine(
    options.json ? () => {} : (text) => process.stderr.write(text),
  );
  const model = await registry.load(source, {
    ...(source !== requested ? { id: DEFAULT_MODEL_ID } : {}),
    ...(options.engine ? { engineName: options.engine } : {}),
    onProgress: ({ loaded, total, stage }) => {
      if (total) progress.update(loaded / total, `loading ${stage ?? ''}`.trim());
    },
  });
  progress.done();
  log(
    `loaded ${model.info.id} with ${model.resolution.loader.name} in ${Math.round(performance.now() - started)} ms`,
  );
  const chat = !options.raw && model.info.capabilities.includes('chat');
  try {
    if (options.prompt !== undefined) {
      const messages: ModelV1Message[] = [
        ...(options.system ? [{ role: 'system' as const, content: options.system }] : []),
        { role: 'user', content: options.prompt },
      ];
      const call = callOptions(options, chat ? { messages } : { prompt: options.prompt });
      if (options.json) {
        const result = await collectStream((await model.doStream(call)).stream, {
          modelId: model.info.id,
        });
        process.stdout.write(
          `${JSON.stringify({ text: result.text, tokens: result.tokens ?? [], model: model.info.id, finishReason: result.finishReason, usage: result.usage })}\n`,
        );
      } else {
        await streamTo(model, call, (text) => process.stdout.write(text));
        process.stdout.write('\n');
      }
      return;
    }
    await interactive(model, options, chat);
  } finally {
    await model.dispose();
  }
}

async function interactive(model: ModelV1, options: RunOptions, chat: boolean) {
  const readline = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY,
  });
  const history: ModelV1Message[] = options.system
    ? [{ role: 'system', content: options.system }]
    : [];
  process.stderr.write(`Chatting with ${model.info.id}. Type /exit or press Ctrl-D to leave.\n`);
  readline.on('SIGINT', () => readline.close());
  try {
    while (true) {
      let line: string;
      try {
        line = await readline.question('> ');
      } catch {
        break; // closed (Ctrl-D / end of input)
      }
      if (line.trim() === '/exit') break;
      if (line.trim() === '') continue;
      history.push({ role: 'user', content: line });
      const call = callOptions(options, chat ? { messages: history } : { prompt: line });
      const reply = await streamTo(model, call, (text) => process.stdout.write(text));
      process.stdout.write('\n');
      history.push({ role: 'assistant', content: reply });
    }
  } finally {
    readline.close();
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'Generate with a model: one-shot with --prompt, or an interactive chat without it.',
    )
    .argument('<source>', 'model source: `default` (built-in), a .gguf path, mock:random, ...')
    .option('-p, --prompt <text>', 'prompt for a one-shot generation')
    .option('--system <text>', 'system message (chat models)')
    .option('--raw', 'send the prompt as a raw completion, without the chat template')
    .option('-n, --max-tokens <n>', 'maximum tokens to generate', parseNumber('--max-tokens', true))
    .option(
      '-t, --temperature <t>',
      'sampling temperature (0 = greedy)',
      parseNumber('--temperature', false),
    )
    .option('--top-p <p>', 'nucleus sampling', parseNumber('--top-p', false))
    .option('--top-k <k>', 'top-k sampling', parseNumber('--top-k', true))
    .option('-s, --seed <n>', 'seed: same seed, same output', parseNumber('--seed', true))
    .option('--stop <text...>', 'stop sequences')
    .option('--engine <name>', 'engine for graph models: node, wasm (onnx); cpu, wasm (tfjs)')
    .option('--json', 'print one JSON object {text, tokens, model, usage} instead of streaming')
    .action(runCommand);
}
