/**
 * Picks `tokenizer.ggml.pre` by behaviour, not by name: llama.cpp splits text with a fixed
 * regex per pre-tokenizer name, so a Hugging Face tokenizer whose split regex llmr does not
 * recognise is probed. Each candidate name is written into a tensor-less GGUF, llama.cpp
 * (node-llama-cpp) loads its vocabulary only and tokenizes a hard corpus, and the first name
 * whose ids equal the Hugging Face tokenizer's (`@llmr/tokenizer`) on every text wins. Names
 * are screened on a cut-down vocabulary first (probe-vocabulary.ts), so a name that cannot
 * agree costs milliseconds rather than a full vocabulary load.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { throwIfAborted } from '@llmr/core';
import { type GgufMetadataInput, writeGguf } from '@llmr/gguf';
import { loadTokenizer } from '@llmr/tokenizer';
import { createProbeVocabulary } from './probe-vocabulary';

/**
 * Texts where pre-tokenizers disagree: digit runs, contractions in both cases, accents and
 * other scripts, whitespace runs, code, CJK, emoji and punctuation runs.
 */
export const PRE_TOKENIZER_PROBE_CORPUS: readonly string[] = [
  'Once upon a time there was a model.',
  '1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 2024-12-04 0x7fff',
  "I'm sure you'll see they've done it; it's what we'd do. DON'T YOU'RE I'LL WE'VE SHE'D",
  "rock 'n' roll, o'clock, y'all, 'quoted', ''double''",
  'Café naïve résumé façade Ångström ØRESUND straße İstanbul',
  'Привет, мир! Ελληνικά γράμματα. עברית. العربية ١٢٣. हिन्दी',
  '日本語のテキスト、中文文本。한국어 텍스트 ㄱㄴㄷ 漢字123かな',
  'emoji 🙂🙂 👍🏽 👨‍👩‍👧 🇫🇷 ❤️ ✨done',
  '  two  spaces   three\t\ttabs \n\nnew lines\r\n\r\n   \n trailing   ',
  'function add(a, b) {\n    return a + b; // sum\n}\n\nconst x = [1, 2, 3].map((n) => n ** 2);',
  'def f(x):\n\tif x >= 10 and x != 42:\n\t\treturn x[::-1]\n',
  '<div class="a-b">x&amp;y</div> https://example.com/path?q=1&r=2#frag user@mail.org',
  '!!! ??? ... --- *** ___ ((( ))) $$$ %%% @@@ ### ;;; ::: ~~~',
  'ABCdefGHI camelCaseName snake_case_name SCREAMING_CASE x1y2z3 a1b22c333',
  '½ ² ³ Ⅻ ⅷ ① ٣ ૪ ๕ 𝟙𝟚𝟛',
  '\u00a0nbsp\u2009thin\u3000ideographic\u200bzero width',
];

/**
 * llama.cpp's named byte-level BPE pre-tokenizers, one per distinct split behaviour, in the
 * order tried (the common ones first). A name the installed llama.cpp does not know fails
 * to load and is skipped. `default` is last: llama.cpp's fallback regex.
 */
export const LLAMA_CPP_PRE_TOKENIZERS: readonly string[] = [
  'llama-bpe',
  'qwen2',
  'gpt-2',
  'gpt-4o',
  'deepseek-llm',
  'deepseek-coder',
  'deepseek-v3',
  'falcon',
  'mpt',
  'starcoder',
  'refact',
  'command-r',
  'stablelm2',
  'olmo',
  'dbrx',
  'smaug-bpe',
  'poro-chat',
  'chatglm-bpe',
  'viking',
  'jais',
  'tekken',
  'smollm',
  'codeshell',
  'bloom',
  'gpt3-finnish',
  'exaone',
  'chameleon',
  'minerva-7b',
  'megrez',
  'superbpe',
  'trillion',
  'bailingmoe',
  'seed-coder',
  'hunyuan',
  'kimi-k2',
  'grok-2',
  'default',
];

export interface PreTokenizerProbeOptions {
  /** The model's GGUF metadata (architecture, hyperparameters, `tokenizer.ggml.*`). */
  metadata: ReadonlyMap<string, GgufMetadataInput>;
  /** The Hugging Face tokenizer.json the ids must equal. */
  tokenizerJson: Record<string, unknown>;
  /** Tried first (the name recognised from the split regex, if any). */
  preferred?: string;
  candidates?: readonly string[];
  corpus?: readonly string[];
  /** Checked before each candidate (a full probe of a large vocabulary takes minutes). */
  abortSignal?: AbortSignal;
}

export interface PreTokenizerProbeResult {
  /** The first name whose ids agree on the whole corpus; undefined when none does. */
  pre?: string;
  /** Names loaded and compared, in order. */
  tried: string[];
  /** Why nothing could be probed (node-llama-cpp missing), when so. */
  unavailable?: string;
}

type LlamaRuntime = import('node-llama-cpp').Llama;
let sharedLlama: Promise<LlamaRuntime> | undefined;

/** One CPU-only llama.cpp for all probes of a process (probing needs no GPU). */
async function probeLlama(): Promise<LlamaRuntime> {
  sharedLlama ??= import('node-llama-cpp')
    .then(({ getLlama }) =>
      getLlama({
        gpu: false,
        build: 'never',
        logLevel: 'disabled',
        progressLogs: false,
      } as unknown as Parameters<typeof getLlama>[0]),
    )
    .catch((error: unknown) => {
      sharedLlama = undefined;
      throw error;
    });
  return sharedLlama;
}

export async function probePreTokenizer(
  options: PreTokenizerProbeOptions,
): Promise<PreTokenizerProbeResult> {
  let llama: LlamaRuntime;
  try {
    llama = await probeLlama();
  } catch (error) {
    return {
      tried: [],
      unavailable: `node-llama-cpp could not be loaded (${(error as Error).message}); install node-llama-cpp to probe llama.cpp's pre-tokenizers`,
    };
  }
  const corpus = options.corpus ?? PRE_TOKENIZER_PROBE_CORPUS;
  const normalize =
    options.metadata.get('tokenizer.llmr.normalizer') === 'NFC'
      ? (text: string) => text.normalize('NFC')
      : (text: string) => text;
  const reference = loadTokenizer(options.tokenizerJson);
  const expected = corpus.map((text) => reference.encode(text, { addSpecialTokens: false }));
  const candidates = [
    ...new Set([
      ...(options.preferred ? [options.preferred] : []),
      ...(options.candidates ?? LLAMA_CPP_PRE_TOKENIZERS),
    ]),
  ];
  const screen = createProbeVocabulary(options.metadata, expected);
  const screenExpected = screen
    ? expected.map((ids) => ids.map((id) => screen.ids.get(id)!))
    : undefined;
  const directory = await mkdtemp(join(tmpdir(), 'llmr-pre-probe-'));
  let written = 0;
  /** Loads `metadata` with `pre` set; undefined when this llama.cpp refuses the name. */
  const load = async (metadata: ReadonlyMap<string, GgufMetadataInput>, pre: string) => {
    const path = join(directory, `${written++}.gguf`);
    const withPre = new Map(metadata);
    withPre.set('tokenizer.ggml.pre', pre);
    await writeGguf({ metadata: withPre, tensors: [] }, path);
    try {
      return await llama.loadModel({ modelPath: path, vocabOnly: true, gpuLayers: 0 });
    } finally {
      await rm(path, { force: true });
    }
  };
  /** True when llama.cpp's ids equal `want` on every text; stops at the first that differs. */
  const agrees = async (
    model: import('node-llama-cpp').LlamaModel,
    want: readonly (readonly number[])[],
  ) => {
    try {
      return corpus.every((text, index) => {
        const ids = model.tokenize(normalize(text), false) as number[];
        const wanted = want[index]!;
        return ids.length === wanted.length && ids.every((id, at) => id === wanted[at]);
      });
    } finally {
      await model.dispose();
    }
  };
  const tried: string[] = [];
  try {
    for (const candidate of candidates) {
      throwIfAborted(options.abortSignal);
      if (screen && screenExpected) {
        // The cut vocabulary rejects a wrong name in milliseconds; a refused load there
        // (a name that needs tokens the cut left out) falls through to the full vocabulary.
        const small = await load(screen.metadata, candidate).catch(() => undefined);
        if (small && !(await agrees(small, screenExpected))) {
          tried.push(candidate);
          continue;
        }
      }
      // This llama.cpp does not know the name (or needs tokens this vocabulary lacks).
      const model = await load(options.metadata, candidate).catch(() => undefined);
      if (!model) continue;
      tried.push(candidate);
      if (await agrees(model, expected)) return { pre: candidate, tried };
    }
    return { tried };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Where the Hugging Face tokenizer travels when no llama.cpp pre-tokenizer matches it. */
export const EMBEDDED_TOKENIZER_KEY = 'tokenizer.huggingface.json';

/**
 * Settles `tokenizer.ggml.pre` in `metadata` (byte-level BPE only: llama.cpp's SentencePiece
 * tokenizer has no pre-tokenizer): the probed name, or, when none agrees or none can be
 * probed, the tokenizer.json embedded under `tokenizer.huggingface.json`. Returns the
 * converter notes to report.
 */
export async function choosePreTokenizer(
  metadata: Map<string, GgufMetadataInput>,
  tokenizerJson: Record<string, unknown>,
  abortSignal?: AbortSignal,
): Promise<string[]> {
  if (metadata.get('tokenizer.ggml.model') !== 'gpt2') return [];
  const recognised = metadata.get('tokenizer.ggml.pre');
  const preferred = typeof recognised === 'string' && recognised !== 'default' ? recognised : '';
  const result = await probePreTokenizer({ metadata, tokenizerJson, preferred, abortSignal });
  if (result.pre !== undefined) {
    metadata.set('tokenizer.ggml.pre', result.pre);
    return result.pre === preferred
      ? []
      : [
          `tokenizer.ggml.pre = "${result.pre}": llama.cpp with it tokenizes the probe corpus exactly as the Hugging Face tokenizer does (found by probing; the split regex is not one llmr names).`,
        ];
  }
  if (result.unavailable && preferred)
    return [
      `${result.unavailable}; tokenizer.ggml.pre = "${preferred}" is named from the split regex, unchecked.`,
    ];
  // The name recognised from the regex, if any, still serves other llama.cpp programs best.
  metadata.set('tokenizer.ggml.pre', preferred || 'default');
  metadata.set(EMBEDDED_TOKENIZER_KEY, JSON.stringify(tokenizerJson));
  const why =
    result.unavailable ??
    `no llama.cpp pre-tokenizer gives the Hugging Face ids on the probe corpus (tried ${result.tried.length}: ${result.tried.join(', ')})`;
  return [
    `${why}. The tokenizer.json is embedded as ${EMBEDDED_TOKENIZER_KEY}: @llmr/loader-gguf tokenizes prompts with it and gets the Hugging Face ids; other llama.cpp programs use pre = "${preferred || 'default'}" and may split some texts differently.`,
  ];
}
