/**
 * Encode throughput of llmr's tokenizer against the reference (Hugging Face's Rust
 * `tokenizers` through its Node binding) and transformers.js's tokenizer
 * (@huggingface/tokenizers), on the same texts in the same run: the 2,000-string test
 * corpus (one call per string), a 1 KB text and a 1 MB text. Prints a table and one JSON
 * line. Run: `pnpm --filter @llmr/tokenizer bench`; `LLMR_BENCH_SHORT=1` measures one
 * tokenizer (Llama 3) and a 64 KB text instead of 1 MB, a smoke run of under a minute.
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { Tokenizer as TransformersTokenizer } from '@huggingface/tokenizers';
import { buildCorpus } from '../src/__fixtures__/corpus';
import { loadRealTokenizer, type RealTokenizerName } from '../src/__fixtures__/reference';
import { loadTokenizer } from '../src/index';

const require = createRequire(import.meta.url);
const { Tokenizer: RustTokenizer } = require('tokenizers') as {
  Tokenizer: {
    fromString(json: string): { encode(text: string): Promise<{ getIds(): number[] }> };
  };
};

type Encode = (text: string) => number[] | Promise<number[]>;
interface Row {
  tokenizer: RealTokenizerName;
  workload: string;
  implementation: string;
  mbPerSecond: number;
  tokensPerSecond: number;
  millisecondsPerCall: number;
  sameIdsAsReference: boolean;
}

const SHORT = process.env.LLMR_BENCH_SHORT === '1';
const encoder = new TextEncoder();
const bytesOf = (texts: string[]) =>
  texts.reduce((sum, text) => sum + encoder.encode(text).length, 0);

/** Runs `encode` over `texts` until at least `minimumMs` have passed; returns per-pass numbers. */
async function measure(encode: Encode, texts: string[], minimumMs: number) {
  let passes = 0;
  let tokens = 0;
  const started = performance.now();
  do {
    for (const text of texts) tokens += (await encode(text)).length;
    passes++;
  } while (performance.now() - started < minimumMs);
  const elapsed = performance.now() - started;
  return { seconds: elapsed / 1000 / passes, tokens: tokens / passes, calls: texts.length };
}

function buildText(corpus: string[], bytes: number): string {
  let text = '';
  for (let index = 0; encoder.encode(text).length < bytes; index++)
    text += `${corpus[index % corpus.length]}\n`;
  // Cut on a character boundary near the target size.
  return [...text].slice(0, bytes).join('').slice(0, bytes);
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const names: RealTokenizerName[] = SHORT ? ['llama3'] : ['llama3', 'qwen3', 'llama2'];
  const largeBytes = SHORT ? 64 * 1024 : 1024 * 1024;
  const largeName = SHORT ? '64 KB text' : '1 MB text';
  for (const name of names) {
    const { json, config } = loadRealTokenizer(name);
    const specials = ((json.added_tokens as Array<{ content: string }>) ?? [])
      .map((token) => token.content)
      .slice(0, 12);
    const corpus = buildCorpus(2000, specials);
    const kilobyte = buildText(buildCorpus(200, [], 1), 1024);
    const large = buildText(buildCorpus(4000, [], 2), largeBytes);

    const llmr = loadTokenizer(json, config);
    const rust = RustTokenizer.fromString(JSON.stringify(json));
    const transformers = new TransformersTokenizer(json, config);
    const implementations: Array<[string, Encode]> = [
      ['llmr', (text) => llmr.encode(text)],
      ['hf-tokenizers (Rust)', async (text) => (await rust.encode(text)).getIds()],
      ['transformers.js', (text) => transformers.encode(text).ids],
    ];
    const workloads: Array<[string, string[], number]> = [
      ['corpus (2,000 strings)', corpus, 1500],
      ['1 KB text', [kilobyte], 800],
      [largeName, [large], 1],
    ];
    for (const [workload, texts, minimumMs] of workloads) {
      const bytes = bytesOf(texts);
      const expected = await Promise.all(
        texts.map(async (text) => (await rust.encode(text)).getIds()),
      );
      for (const [implementation, encode] of implementations) {
        // Warm up (caches, JIT), and check the ids while at it.
        let same = true;
        for (const [index, text] of texts.entries()) {
          const ids = await encode(text);
          if (
            ids.length !== expected[index]!.length ||
            ids.some((id, position) => id !== expected[index]![position])
          )
            same = false;
        }
        const result = await measure(encode, texts, minimumMs);
        rows.push({
          tokenizer: name,
          workload,
          implementation,
          mbPerSecond: bytes / 1e6 / result.seconds,
          tokensPerSecond: result.tokens / result.seconds,
          millisecondsPerCall: (result.seconds * 1000) / result.calls,
          sameIdsAsReference: same,
        });
      }
    }
  }

  const header = [
    'tokenizer',
    'workload',
    'implementation',
    'MB/s',
    'tokens/s',
    'ms/call',
    'ids = reference',
  ];
  const table = rows.map((row) => [
    row.tokenizer,
    row.workload,
    row.implementation,
    row.mbPerSecond.toFixed(2),
    Math.round(row.tokensPerSecond).toLocaleString('en-US'),
    row.millisecondsPerCall.toFixed(3),
    row.sameIdsAsReference ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((cells) => cells[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  console.log(
    `Encode throughput on ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version} (single call at a time)`,
  );
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cells of table) console.log(line(cells));
  console.log(
    JSON.stringify({ bench: 'tokenizer-encode-throughput', node: process.version, rows }),
  );
}

await main();
