/**
 * `llmr tokenize <source> --text <s>`: ids and pieces from a tokenizer.json, an HF directory
 * or a GGUF. `--text` takes the next argument whatever it starts with, so text like `-x`
 * works; words after the source are a shorthand for it.
 */
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

export interface TokenizeOptions {
  text?: string;
  special: boolean;
  json?: boolean;
}

/** The text from `--text`, or from the words after the source; exactly one of them. */
export function tokenizeText(words: string[], options: Pick<TokenizeOptions, 'text'>): string {
  if (options.text !== undefined && words.length > 0) {
    throw new InvalidArgumentError({
      argument: '--text',
      value: options.text,
      message: `Give the text once: either --text <s> or words after the source, not both (got --text and "${words.join(' ')}").`,
    });
  }
  if (options.text !== undefined) return options.text;
  if (words.length > 0) return words.join(' ');
  throw new InvalidArgumentError({
    argument: '--text',
    value: undefined,
    message:
      'No text to tokenize: pass --text <s> (--text=-x for text that starts with a dash) or the words after the source.',
  });
}

export function registerTokenizeCommand(program: Command): void {
  program
    .command('tokenize')
    .description("Tokenize text with a model's tokenizer (tokenizer.json, HF directory or GGUF).")
    .argument('<source>', 'tokenizer.json, model directory, or .gguf file')
    .argument('[words...]', 'text to tokenize (shorthand for --text)')
    .option('-t, --text <s>', 'text to tokenize; may start with "-" (--text -x or --text=-x)')
    .option('--no-special', 'do not add BOS/EOS and other template tokens')
    .option('--json', 'print JSON { ids, tokens, offsets, count }')
    .action(async (source: string, words: string[], options: TokenizeOptions) => {
      const text = tokenizeText(words, options);
      const tokenizer = await loadAnyTokenizer(source);
      const encoding = tokenizer.encodeWithOffsets(text, { addSpecialTokens: options.special });
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ ids: encoding.ids, tokens: encoding.tokens, offsets: encoding.offsets, count: encoding.ids.length })}\n`,
        );
        return;
      }
      process.stdout.write(`${encoding.ids.length} tokens\n`);
      encoding.ids.forEach((id, index) => {
        process.stdout.write(
          `${String(id).padStart(8)}  ${JSON.stringify(encoding.tokens[index])}\n`,
        );
      });
    });
}
