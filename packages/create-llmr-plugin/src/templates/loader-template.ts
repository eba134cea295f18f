/**
 * The files of a loader plugin. The loader is small but real: it learns a byte-bigram
 * table from a UTF-8 text file at load time and generates from it, so the scaffold
 * passes the conformance kit before its author changes a line, and every place a real
 * runtime would go is a place the author already has working code to replace.
 */
import type { PluginNames } from '../plugin-names';

export function loaderFiles(names: PluginNames): Record<string, string> {
  const { loaderName, factoryName, instanceName } = names;
  return {
    'src/index.ts': `export { ${factoryName}, ${instanceName}, MAX_CORPUS_BYTES } from './loader.js';
export { createBigramModel } from './bigram-model.js';
export { createByteTokenizer } from './byte-tokenizer.js';

import { ${instanceName} } from './loader.js';

/** What \`llmr serve --plugin\` registers. */
export const loaders = [${instanceName}];
export default { loaders };
`,
    'src/byte-tokenizer.ts': `/**
 * One token per UTF-8 byte (ids 0-255) plus BOS (256) and EOS (257). Replace it with your
 * model's tokenizer; keep streaming decode safe across multi-byte characters.
 */
import { createUtf8StreamDecoder, type ModelV1Message, type TokenizerV1 } from '@llmr/core';

export const BOS = 256;
export const EOS = 257;

export function renderChat(messages: ModelV1Message[], addGenerationPrompt = true): string {
  const rendered = messages.map((message) => \`<|\${message.role}|>\${message.content}\\n\`).join('');
  return addGenerationPrompt ? \`\${rendered}<|assistant|>\` : rendered;
}

export function createByteTokenizer(): TokenizerV1 {
  const encoder = new TextEncoder();
  return {
    specificationVersion: 'v1',
    vocabularySize: 258,
    specialTokens: { bos: BOS, eos: EOS, all: [BOS, EOS] },
    encode(text, { addSpecialTokens = true } = {}) {
      const ids = Array.from(encoder.encode(text));
      return addSpecialTokens ? [BOS, ...ids] : ids;
    },
    decode(tokens) {
      return new TextDecoder().decode(Uint8Array.from(tokens.filter((token) => token < 256)));
    },
    createStreamDecoder() {
      const decoder = createUtf8StreamDecoder();
      return {
        push: (token) => (token < 256 ? decoder.push(Uint8Array.of(token)) : ''),
        flush: () => decoder.flush(),
      };
    },
    applyChatTemplate(messages, options = {}) {
      return renderChat(messages, options.addGenerationPrompt ?? true);
    },
  };
}
`,
    'src/bigram-model.ts': `/**
 * A ModelV1 over a byte-bigram table: the next byte follows the counts seen after the
 * previous byte in the corpus (greedy at temperature 0, seeded sampling otherwise).
 * core's createTokenStream does stop sequences, max tokens, abort and usage.
 */
import {
  collectStream,
  createSeededRandom,
  createTokenStream,
  hashString,
  InvalidArgumentError,
  ModelDisposedError,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1StreamResult,
  throwIfAborted,
  validateCallOptions,
} from '@llmr/core';
import { createByteTokenizer, renderChat } from './byte-tokenizer.js';

export interface BigramModelSettings {
  id: string;
  corpus: Uint8Array;
  contextLength?: number;
}

export function createBigramModel(settings: BigramModelSettings): ModelV1 {
  const { id, corpus } = settings;
  const contextLength = settings.contextLength ?? 4096;
  const tokenizer = createByteTokenizer();
  // counts[previous * 256 + next]; the corpus wraps around, so every seen byte has a successor.
  const counts = new Uint32Array(256 * 256);
  for (let index = 0; index < corpus.length; index++) {
    counts[corpus[index]! * 256 + corpus[(index + 1) % corpus.length]!]! += 1;
  }
  let disposed = false;

  function nextByte(previous: number, temperature: number, random: () => number): number {
    const row = counts.subarray(previous * 256, previous * 256 + 256);
    let total = 0;
    let best = -1;
    for (let next = 0; next < 256; next++) {
      if (row[next]! > 0 && (best < 0 || row[next]! > row[best]!)) best = next;
    }
    // A byte the corpus never saw restarts from the corpus's first byte.
    if (best < 0) return corpus[0]!;
    if (temperature === 0) return best;
    const weights = Array.from(row, (count) => (count > 0 ? count ** (1 / temperature) : 0));
    for (const weight of weights) total += weight;
    let pick = random() * total;
    for (let next = 0; next < 256; next++) {
      pick -= weights[next]!;
      if (pick <= 0 && weights[next]! > 0) return next;
    }
    return best;
  }

  function start(options: ModelV1CallOptions): ModelV1StreamResult {
    if (disposed) throw new ModelDisposedError({ modelId: id });
    validateCallOptions(options);
    throwIfAborted(options.abortSignal);
    const prompt = options.messages ? renderChat(options.messages) : options.prompt;
    const promptTokens = tokenizer.encode(prompt);
    if (promptTokens.length >= contextLength) {
      throw new InvalidArgumentError({
        argument: 'prompt',
        value: promptTokens.length,
        message: \`The prompt has \${promptTokens.length} tokens; model "\${id}" has a context of \${contextLength}. Shorten the prompt.\`,
      });
    }
    const temperature = options.temperature ?? 1;
    // Greedy ignores the seed, as a neural model does.
    const seed = temperature === 0 ? 0 : (options.seed ?? Math.floor(Math.random() * 2 ** 31));
    const random = createSeededRandom(hashString(prompt) ^ Math.imul(seed, 2654435761));
    let previous = promptTokens.at(-1) ?? corpus[0]!;
    if (previous >= 256) previous = corpus[0]!;
    const stream = createTokenStream({
      modelId: id,
      tokenizer,
      inputTokens: promptTokens.length,
      maxTokens: Math.min(options.maxTokens ?? contextLength, contextLength - promptTokens.length),
      stopSequences: options.stopSequences,
      abortSignal: options.abortSignal,
      nextToken() {
        if (disposed) throw new ModelDisposedError({ modelId: id });
        previous = nextByte(previous, temperature, random);
        return { token: previous };
      },
    });
    return { stream };
  }

  return {
    specificationVersion: 'v1',
    info: {
      id,
      format: 'bigram-text',
      architecture: 'byte-bigram',
      contextLength,
      parameterCount: 256 * 256,
      capabilities: ['chat', 'completion'],
    },
    tokenizer,
    async doStream(options) {
      return start(options);
    },
    async doGenerate(options) {
      return collectStream(start(options).stream, { modelId: id });
    },
    async dispose() {
      disposed = true;
    },
  };
}
`,
    'src/loader.ts': `/**
 * The "${loaderName}" loader: a source is a path to a UTF-8 text file ending in .txt
 * (or file:///...txt). canLoad looks at the name only; doLoad reads the file.
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { LoadError, type LoaderV1 } from '@llmr/core';
import { createBigramModel } from './bigram-model.js';

/** A corpus larger than this is refused rather than read into memory. */
export const MAX_CORPUS_BYTES = 64 * 1024 * 1024;

function pathOf(source: string): string {
  return source.startsWith('file:') ? fileURLToPath(source) : source;
}

export function ${factoryName}(): LoaderV1 {
  return {
    specificationVersion: 'v1',
    name: '${loaderName}',
    async canLoad(source) {
      return /\\.txt$/i.test(source.replace(/[?#].*$/, ''))
        ? { confidence: 0.6, reason: 'a .txt corpus' }
        : { confidence: 0, reason: 'not a .txt file' };
    },
    async doLoad(source, options = {}) {
      const path = pathOf(source);
      const size = await stat(path).then(
        (info) => info.size,
        (error: Error) => {
          throw new LoadError({
            source,
            code: '${loaderName}-unreadable',
            message: \`Cannot read \${path}: \${error.message}. Pass the path of a UTF-8 .txt file.\`,
            cause: error,
          });
        },
      );
      if (size === 0 || size > MAX_CORPUS_BYTES) {
        throw new LoadError({
          source,
          code: '${loaderName}-bad-size',
          message: \`\${path} has \${size} bytes; a corpus must hold 1 to \${MAX_CORPUS_BYTES} bytes.\`,
        });
      }
      const corpus = new Uint8Array(await readFile(path));
      options.onProgress?.({ loaded: 1, total: 1, stage: 'ready' });
      const id = options.id ?? path.replace(/^.*[\\\\/]/, '').replace(/\\.txt$/i, '');
      return createBigramModel({ id, corpus, contextLength: options.contextLength });
    },
  };
}

/** The default instance. */
export const ${instanceName}: LoaderV1 = ${factoryName}();
`,
    'src/loader.test.ts': `/**
 * The conformance kit from @llmr/core/test/kit under node:test: every check a loader
 * and its model must pass, with no other test runner.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkLoader, checkModel } from '@llmr/core/test/kit';
import { ${instanceName} } from './loader.js';

const CORPUS =
  'Once upon a time there was a small river that ran over green stones. ' +
  'The river sang to the garden, and the garden answered with quiet light. ' +
  'Every morning the stones counted the numbers of the north wind: 1, 2, 3, 4, 5. ';

let work = '';
let corpusPath = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), '${loaderName}-test-'));
  corpusPath = join(work, 'corpus.txt');
  await writeFile(corpusPath, CORPUS.repeat(4));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('the loader passes the conformance kit', async () => {
  const report = await checkLoader({
    loader: ${instanceName},
    sources: [corpusPath],
    foreignSources: ['model.gguf', 'mock:random'],
    brokenSources: [join(tmpdir(), 'no-such-corpus-${loaderName}.txt')],
  });
  assert.equal(report.failed.length, 0);
});

test('its model passes the conformance kit', async () => {
  const report = await checkModel({
    name: '${loaderName}',
    createModel: () => ${instanceName}.doLoad(corpusPath),
  });
  assert.equal(report.failed.length, 0);
});

test('greedy generation follows the corpus', async () => {
  const model = await ${instanceName}.doLoad(corpusPath);
  // "q" is followed only by "u" in the corpus.
  const result = await model.doGenerate({ prompt: 'q', maxTokens: 1, temperature: 0 });
  assert.equal(result.text, 'u');
  await model.dispose();
});
`,
  };
}

export function loaderReadme(names: PluginNames): string {
  return `# ${names.packageName}

An [llmr](https://www.npmjs.com/package/@llmr/core) loader plugin. It depends on
\`@llmr/core\` only. As scaffolded, the \`${names.loaderName}\` loader learns a byte-bigram
table from a UTF-8 \`.txt\` file and generates from it: replace \`src/bigram-model.ts\`
with your runtime, keep the tests green.

## Install

\`\`\`sh
npm install ${names.packageName}
\`\`\`

## Use

\`\`\`sh
llmr serve --plugin ${names.packageName} --model corpus=./corpus.txt
\`\`\`

\`\`\`ts
import { createRegistry } from '@llmr/core';
import { ${names.instanceName} } from '${names.packageName}';

const registry = createRegistry({ loaders: [${names.instanceName}] });
const model = await ${names.instanceName}.doLoad('./corpus.txt');
const { text } = await model.doGenerate({ prompt: 'Once upon', maxTokens: 20, temperature: 0 });
console.log(text, registry.loaders.length);
await model.dispose();
\`\`\`

## Develop

\`npm test\` builds with tsc and runs the llmr conformance kit (\`@llmr/core/test/kit\`)
under \`node:test\`. \`npm pack\` builds before packing.

## Limits

A corpus is read whole into memory, up to 64 MiB. Bytes the corpus never saw restart
generation at its first byte.
`;
}
