/** `llmr tokenize <source> <text>`: ids and pieces from a tokenizer.json, an HF directory or a GGUF. */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidArgumentError } from '@llmr/core';
import type { Command } from 'commander';

async function loadAnyTokenizer(source: string) {
  const tokenizer = await import('@llmr/tokenizer');
  const info = await stat(source).catch(() => {
    throw new InvalidArgumentError({
      argument: 'source',
      value: source,
      message: `Cannot open ${source}: no such file or directory.`,
    });
  });
  if (info.isDirectory()) return tokenizer.loadTokenizerFromDirectory(source);
  if (source.endsWith('.gguf')) {
    const { openGguf } = await import('@llmr/gguf');
    const file = await openGguf(source);
    try {
      return tokenizer.tokenizerFromGgufMetadata(file.metadata as Record<string, unknown>);
    } finally {
      await file.close();
    }
  }
  if (source.endsWith('tokenizer.json'))
    return tokenizer.loadTokenizerFromDirectory(dirname(source));
  throw new InvalidArgumentError({
    argument: 'source',
    value: source,
    message: `${source}: pass a tokenizer.json, a model directory or a .gguf file.`,
  });
}

export function registerTokenizeCommand(program: Command): void {
  program
    .command('tokenize')
    .description("Tokenize text with a model's tokenizer (tokenizer.json, HF directory or GGUF).")
    .argument('<source>', 'tokenizer.json, model directory, or .gguf file')
    .argument('<text...>', 'text to tokenize')
    .option('--no-special', 'do not add BOS/EOS and other template tokens')
    .option('--json', 'print JSON { ids, tokens, offsets }')
    .action(
      async (source: string, words: string[], options: { special: boolean; json?: boolean }) => {
        const tokenizer = await loadAnyTokenizer(source);
        const text = words.join(' ');
        const encoding = tokenizer.encodeWithOffsets(text, { addSpecialTokens: options.special });
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ count: encoding.ids.length, ids: encoding.ids, tokens: encoding.tokens, offsets: encoding.offsets })}\n`,
          );
          return;
        }
        process.stdout.write(`${encoding.ids.length} tokens\n`);
        encoding.ids.forEach((id, index) => {
          process.stdout.write(
            `${String(id).padStart(8)}  ${JSON.stringify(encoding.tokens[index])}\n`,
          );
        });
      },
    );
}
