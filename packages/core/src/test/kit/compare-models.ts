/**
 * Compares two loaded models that should be the same model (a GGUF and its HF directory,
 * one ONNX file on two engines, a quantized file and its float original) on a probe set,
 * through the public ModelV1 interface only, so any two loaders or engines can be compared:
 * tokenization (ids of each probe text), greedy continuations over N steps, the top token
 * after each prompt, and next-token log-probabilities where both report them.
 *
 * Log-probabilities come from the `logprobs` call option (at most the top 20 per step), not
 * from raw logits: log-softmax removes the constant shift two runtimes may add to logits,
 * and it is what every runtime can return. KL divergence is taken over the reference's top
 * tokens plus one bucket for the rest of the vocabulary; that is a lower bound of the full
 * KL, and the exact KL when the vocabulary has at most 20 tokens.
 */
import { InvalidArgumentError } from '../../errors/errors';
import type { ModelV1 } from '../../model/v1/model-v1';
import type { ModelV1GenerateResult, ModelV1Logprob } from '../../model/v1/model-v1-result';

/** Probe texts used when none are given: prose, code, digits, whitespace runs, non-Latin scripts. */
export const DEFAULT_PROBE_PROMPTS: readonly string[] = [
  'The quick brown fox jumps over the lazy dog.',
  'Once upon a time, in a land far away,',
  'def fibonacci(n):\n    return n if n < 2 else',
  '1, 2, 3, 4, 5, 6,',
  "  Tabs\tand   spaces,\nnew lines\n\nand 'quotes' don't",
  'Grüße aus Köln — naïve café, 東京 and 🙂 emoji',
];

/** The most alternatives a ModelV1 returns per step (validateCallOptions' bound). */
const MAX_TOP_LOGPROBS = 20;
const MAX_STEPS = 4096;
const MAX_PROMPTS = 1000;

export interface CompareModelsOptions {
  prompts?: readonly string[];
  /** Greedy steps per prompt (default 8). */
  steps?: number;
  /**
   * Largest accepted difference: of a log-probability (absolute), and of the KL divergence
   * (nats) at any step. Default 1e-3.
   */
  tolerance?: number;
  /** Alternatives per step to compare (1..20, default 20). */
  topLogprobs?: number;
  abortSignal?: AbortSignal;
}

export type ComparisonCheck = 'tokenization' | 'greedy-tokens' | 'top-token' | 'logprobs';

/** `skipped`: the check could not run (a side does not expose what it needs); see `detail`. */
export type ComparisonStatus = 'agrees' | 'differs' | 'skipped';

export interface ComparisonRow {
  check: ComparisonCheck;
  status: ComparisonStatus;
  /** One line a person reads: the numbers, or why the check was skipped. */
  detail: string;
  metrics: Record<string, number>;
}

export interface PromptComparison {
  prompt: string;
  referenceIds?: number[];
  candidateIds?: number[];
  referenceTokens: number[];
  candidateTokens: number[];
  referenceFinish: ModelV1GenerateResult['finishReason'];
  candidateFinish: ModelV1GenerateResult['finishReason'];
  /** Leading generated tokens both sides agree on (ids; all steps when only texts exist and match). */
  agreedSteps: number;
  sameText: boolean;
  /** Both sides returned the ids of the generated tokens. */
  idsReported: boolean;
  /** Per compared step (while the continuations agree): max |logprob difference| and KL. */
  logprobSteps: Array<{ maxAbsError: number; relativeError: number; kl: number }>;
}

export interface ModelComparison {
  /** True when no row differs (skipped rows do not count against it). */
  agrees: boolean;
  tolerance: number;
  steps: number;
  rows: ComparisonRow[];
  prompts: PromptComparison[];
}

/**
 * The options with their defaults, or an InvalidArgumentError naming the bad one: callers
 * such as a CLI check their flags with it before loading any model.
 */
export function resolveCompareOptions(
  options: CompareModelsOptions = {},
): Required<Pick<CompareModelsOptions, 'prompts' | 'steps' | 'tolerance' | 'topLogprobs'>> {
  const prompts = options.prompts ?? DEFAULT_PROBE_PROMPTS;
  const steps = options.steps ?? 8;
  const tolerance = options.tolerance ?? 1e-3;
  const topLogprobs = options.topLogprobs ?? MAX_TOP_LOGPROBS;
  const problem =
    prompts.length === 0 || prompts.length > MAX_PROMPTS
      ? { argument: 'prompts', value: prompts.length, text: `1 to ${MAX_PROMPTS} prompts` }
      : prompts.some((prompt) => typeof prompt !== 'string' || prompt.length === 0)
        ? { argument: 'prompts', value: undefined, text: 'non-empty strings' }
        : !Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS
          ? { argument: 'steps', value: steps, text: `an integer from 1 to ${MAX_STEPS}` }
          : !Number.isFinite(tolerance) || tolerance < 0
            ? { argument: 'tolerance', value: tolerance, text: 'a finite number >= 0' }
            : !Number.isInteger(topLogprobs) || topLogprobs < 1 || topLogprobs > MAX_TOP_LOGPROBS
              ? {
                  argument: 'topLogprobs',
                  value: topLogprobs,
                  text: `an integer from 1 to ${MAX_TOP_LOGPROBS}`,
                }
              : undefined;
  if (problem) {
    throw new InvalidArgumentError({
      argument: problem.argument,
      value: problem.value,
      message: `${problem.argument} must be ${problem.text}; got ${JSON.stringify(problem.value)}.`,
    });
  }
  return { prompts, steps, tolerance, topLogprobs };
}

/**
 * Token texts key the alternatives (the interface reports text, not ids). Texts, not `bytes`:
 * runtimes disagree on the bytes of a piece that is half a UTF-8 character (raw bytes from
 * one, the bytes of U+FFFD from another, none for special tokens) but decode it to the same
 * text. Pieces that decode alike cannot be told apart, so a text seen twice in either list is
 * left out on both sides and its mass joins the rest of the vocabulary.
 */
function keyOf(alternative: { token: string }): string {
  return alternative.token;
}

function ambiguousKeys(...entries: ModelV1Logprob[]): Set<string> {
  const ambiguous = new Set<string>();
  for (const entry of entries) {
    const seen = new Set<string>();
    for (const alternative of entry.topLogprobs) {
      const key = keyOf(alternative);
      if (seen.has(key)) ambiguous.add(key);
      seen.add(key);
    }
  }
  return ambiguous;
}

function probabilities(entry: ModelV1Logprob, ambiguous: Set<string>): Map<string, number> {
  const result = new Map<string, number>();
  for (const alternative of entry.topLogprobs) {
    const key = keyOf(alternative);
    if (!ambiguous.has(key)) result.set(key, Math.exp(alternative.logprob));
  }
  return result;
}

/** Differences of two next-token distributions given as top-K alternatives. */
export function compareLogprobs(
  reference: ModelV1Logprob,
  candidate: ModelV1Logprob,
): { maxAbsError: number; relativeError: number; kl: number } {
  const ambiguous = ambiguousKeys(reference, candidate);
  const p = probabilities(reference, ambiguous);
  const q = probabilities(candidate, ambiguous);
  let maxAbsError = 0;
  let largest = 0;
  for (const [key, probability] of p) {
    const a = Math.log(probability);
    largest = Math.max(largest, Math.abs(a));
    const other = q.get(key);
    if (other !== undefined) maxAbsError = Math.max(maxAbsError, Math.abs(a - Math.log(other)));
  }
  // A token in the reference's top K but not in the candidate's has at most the
  // candidate's smallest listed probability there.
  const floor = Math.min(...candidate.topLogprobs.map((entry) => Math.exp(entry.logprob)));
  let kl = 0;
  let restP = 1;
  let restQ = 1;
  for (const [key, probability] of p) {
    const other = q.get(key) ?? floor;
    if (!q.has(key)) maxAbsError = Math.max(maxAbsError, Math.log(probability) - Math.log(floor));
    kl += probability * Math.log(probability / other);
    restP -= probability;
    restQ -= other;
  }
  // The rest of the vocabulary as one bucket: keeps this a KL of two proper distributions.
  if (restP > 1e-12) kl += restP * Math.log(restP / Math.max(restQ, 1e-12));
  return {
    maxAbsError,
    relativeError: maxAbsError / Math.max(largest, 1e-6),
    kl: Math.max(0, kl),
  };
}

async function greedy(
  model: ModelV1,
  prompt: string,
  steps: number,
  topLogprobs: number,
  abortSignal: AbortSignal | undefined,
): Promise<ModelV1GenerateResult> {
  const logprobs = model.info.capabilities.includes('logprobs');
  return model.doGenerate({
    prompt,
    maxTokens: steps,
    temperature: 0,
    seed: 0,
    ...(logprobs ? { logprobs: true, topLogprobs } : {}),
    ...(abortSignal ? { abortSignal } : {}),
  });
}

function encodeIds(model: ModelV1, text: string): number[] | undefined {
  return model.tokenizer?.encode(text, { addSpecialTokens: false });
}

const format = (value: number) => (value === 0 ? '0' : value.toExponential(2));

/** Runs the probe set on both models and returns one row per check, plus per-prompt detail. */
export async function compareModels(
  reference: ModelV1,
  candidate: ModelV1,
  options: CompareModelsOptions = {},
): Promise<ModelComparison> {
  const { prompts, steps, tolerance, topLogprobs } = resolveCompareOptions(options);
  const results: PromptComparison[] = [];
  for (const prompt of prompts) {
    const referenceIds = encodeIds(reference, prompt);
    const candidateIds = encodeIds(candidate, prompt);
    const a = await greedy(reference, prompt, steps, topLogprobs, options.abortSignal);
    const b = await greedy(candidate, prompt, steps, topLogprobs, options.abortSignal);
    const referenceTokens = a.tokens ?? [];
    const candidateTokens = b.tokens ?? [];
    // Without ids on a side, the texts stand in for them.
    const agreedSteps =
      a.tokens && b.tokens
        ? leadingAgreement(referenceTokens, candidateTokens)
        : a.text === b.text
          ? steps
          : 0;
    const logprobSteps: PromptComparison['logprobSteps'] = [];
    // A step's distributions are comparable only while both continuations are the same.
    const comparable = Math.min(agreedSteps + 1, a.logprobs?.length ?? 0, b.logprobs?.length ?? 0);
    for (let step = 0; step < comparable; step++)
      logprobSteps.push(compareLogprobs(a.logprobs![step]!, b.logprobs![step]!));
    results.push({
      prompt,
      ...(referenceIds ? { referenceIds } : {}),
      ...(candidateIds ? { candidateIds } : {}),
      referenceTokens,
      candidateTokens,
      referenceFinish: a.finishReason,
      candidateFinish: b.finishReason,
      agreedSteps,
      sameText: a.text === b.text,
      idsReported: a.tokens !== undefined && b.tokens !== undefined,
      logprobSteps,
    });
  }
  const rows = [
    tokenizationRow(reference, candidate, results),
    greedyRow(results, steps),
    topTokenRow(results),
    logprobsRow(reference, candidate, results, tolerance),
  ];
  return {
    agrees: rows.every((row) => row.status !== 'differs'),
    tolerance,
    steps,
    rows,
    prompts: results,
  };
}

function leadingAgreement(a: readonly number[], b: readonly number[]): number {
  let index = 0;
  while (index < a.length && index < b.length && a[index] === b[index]) index++;
  return index;
}

function tokenizationRow(
  reference: ModelV1,
  candidate: ModelV1,
  results: PromptComparison[],
): ComparisonRow {
  const missing = [reference, candidate]
    .map((model, index) => (model.tokenizer ? undefined : index === 0 ? 'reference' : 'candidate'))
    .filter(Boolean);
  if (missing.length > 0) {
    return {
      check: 'tokenization',
      status: 'skipped',
      detail: `not compared: the ${missing.join(' and ')} model exposes no tokenizer`,
      metrics: {},
    };
  }
  const differing = results.filter(
    (result) => JSON.stringify(result.referenceIds) !== JSON.stringify(result.candidateIds),
  );
  const first = differing[0];
  return {
    check: 'tokenization',
    status: differing.length === 0 ? 'agrees' : 'differs',
    detail:
      `${results.length - differing.length}/${results.length} probe texts give the same ids` +
      (first
        ? `; first difference in ${JSON.stringify(first.prompt.slice(0, 40))}: [${first.referenceIds?.slice(0, 8).join(' ')}] vs [${first.candidateIds?.slice(0, 8).join(' ')}]`
        : ''),
    metrics: { agreeingTexts: results.length - differing.length, texts: results.length },
  };
}

function greedyRow(results: PromptComparison[], steps: number): ComparisonRow {
  const sameTexts = results.filter((result) => result.sameText).length;
  if (!results.every((result) => result.idsReported)) {
    return {
      check: 'greedy-tokens',
      status: sameTexts === results.length ? 'agrees' : 'differs',
      detail: `${sameTexts}/${results.length} continuations of ${steps} steps give the same text (compared as text: a model returned no token ids)`,
      metrics: { identicalContinuations: sameTexts, continuations: results.length },
    };
  }
  const lengthOf = (result: PromptComparison) =>
    Math.max(result.referenceTokens.length, result.candidateTokens.length);
  const total = results.reduce((sum, result) => sum + lengthOf(result), 0);
  const agreed = results.reduce((sum, result) => sum + result.agreedSteps, 0);
  const diverging = results.filter((result) => result.agreedSteps < lengthOf(result));
  const first = diverging[0];
  return {
    check: 'greedy-tokens',
    status: diverging.length === 0 ? 'agrees' : 'differs',
    detail:
      `${agreed}/${total} tokens agree over ${steps} steps; ${results.length - diverging.length}/${results.length} continuations identical` +
      (first ? `; first divergence: ${divergence(first)}` : ''),
    metrics: {
      agreedTokens: agreed,
      tokens: total,
      identicalContinuations: results.length - diverging.length,
      continuations: results.length,
    },
  };
}

/** Where two continuations part, including one side ending (a stop token the other lacks). */
function divergence(result: PromptComparison): string {
  const step = result.agreedSteps;
  const side = (tokens: number[], finish: string) =>
    step < tokens.length ? `token ${tokens[step]}` : `ended (${finish})`;
  return `step ${step} of ${JSON.stringify(result.prompt.slice(0, 30))}, reference ${side(result.referenceTokens, result.referenceFinish)}, candidate ${side(result.candidateTokens, result.candidateFinish)}`;
}

function topTokenRow(results: PromptComparison[]): ComparisonRow {
  const compared = results.filter(
    (result) =>
      result.idsReported && result.referenceTokens.length > 0 && result.candidateTokens.length > 0,
  );
  const agreeing = compared.filter(
    (result) => result.referenceTokens[0] === result.candidateTokens[0],
  ).length;
  if (compared.length === 0) {
    return {
      check: 'top-token',
      status: 'skipped',
      detail: 'not compared: a model returned no token ids',
      metrics: {},
    };
  }
  return {
    check: 'top-token',
    status: agreeing === compared.length ? 'agrees' : 'differs',
    detail: `the next token after ${agreeing}/${compared.length} prompts is the same`,
    metrics: { agreeingPrompts: agreeing, prompts: compared.length },
  };
}

function logprobsRow(
  reference: ModelV1,
  candidate: ModelV1,
  results: PromptComparison[],
  tolerance: number,
): ComparisonRow {
  const missing = [reference, candidate]
    .map((model, index) =>
      model.info.capabilities.includes('logprobs')
        ? undefined
        : index === 0
          ? 'reference'
          : 'candidate',
    )
    .filter(Boolean);
  const steps = results.flatMap((result) => result.logprobSteps);
  if (missing.length > 0 || steps.length === 0) {
    return {
      check: 'logprobs',
      status: 'skipped',
      detail:
        missing.length > 0
          ? `not compared: the ${missing.join(' and ')} model does not report logprobs; greedy tokens and the top token stand in`
          : 'not compared: no step returned logprobs on both sides',
      metrics: {},
    };
  }
  const maxAbsError = Math.max(...steps.map((step) => step.maxAbsError));
  const relativeError = Math.max(...steps.map((step) => step.relativeError));
  const kl = Math.max(...steps.map((step) => step.kl));
  const meanKl = steps.reduce((sum, step) => sum + step.kl, 0) / steps.length;
  const agrees = maxAbsError <= tolerance && kl <= tolerance;
  return {
    check: 'logprobs',
    status: agrees ? 'agrees' : 'differs',
    detail: `max abs error ${format(maxAbsError)}, relative ${format(relativeError)}, KL max ${format(kl)} mean ${format(meanKl)} over ${steps.length} steps (tolerance ${format(tolerance)})`,
    metrics: { maxAbsError, relativeError, klMax: kl, klMean: meanKl, steps: steps.length },
  };
}
