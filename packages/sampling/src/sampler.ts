/**
 * Token sampling over a logits row: penalties, an allowed-token mask, temperature,
 * top-k, top-p, min-p, and a seeded PRNG, in Hugging Face's order (penalties, then
 * temperature, then the truncations). Pure and engine-free, so every llmr runtime that
 * has logits can share it: same seed, same options, same logits -> same token.
 */
import { createSeededRandom, type ModelV1SamplingOptions } from '@llmr/core';

export interface SamplerOptions extends ModelV1SamplingOptions {
  /** How many of the latest tokens the penalties look at (llama.cpp's penalty_last_n). Default 64; 0 = all. */
  penaltyWindow?: number;
}

export interface TokenLogprob {
  token: number;
  logprob: number;
}

export interface SampleResult {
  token: number;
  /** log p(token) under the model's own distribution (raw logits, no penalty or temperature). */
  logprob: number;
  /** The most likely tokens under that distribution, best first, when asked for. */
  topLogprobs?: TokenLogprob[];
}

export interface SampleOptions {
  /** Tokens so far (prompt + generated), for the penalties. */
  history?: readonly number[];
  /** 1 = allowed. Tokens at 0 are never chosen (constrained decoding). */
  mask?: Uint8Array;
  /** Return this many alternatives in `topLogprobs`. */
  topLogprobs?: number;
}

export interface Sampler {
  readonly options: Readonly<SamplerOptions>;
  sample(logits: Float32Array, options?: SampleOptions): SampleResult;
}

/** log-softmax of a row, in float64. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < logits.length; index++) max = Math.max(max, logits[index]!);
  let sum = 0;
  for (let index = 0; index < logits.length; index++) sum += Math.exp(logits[index]! - max);
  const logSum = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let index = 0; index < logits.length; index++) out[index] = logits[index]! - logSum;
  return out;
}

/** The `count` largest entries, best first (ties to the smaller id). */
export function topEntries(values: ArrayLike<number>, count: number): TokenLogprob[] {
  const best: TokenLogprob[] = [];
  if (count <= 0) return best;
  for (let token = 0; token < values.length; token++) {
    const value = values[token]!;
    if (best.length === count && value <= best[best.length - 1]!.logprob) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.logprob < value) at--;
    best.splice(at, 0, { token, logprob: value });
    if (best.length > count) best.pop();
  }
  return best;
}

function argmax(values: ArrayLike<number>, mask?: Uint8Array): number {
  let best = -1;
  for (let index = 0; index < values.length; index++) {
    if (mask && !mask[index]) continue;
    if (best < 0 || values[index]! > values[best]!) best = index;
  }
  return best;
}

export function createSampler(options: SamplerOptions = {}): Sampler {
  const temperature = options.temperature ?? 1;
  const random = createSeededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 31));
  const window = options.penaltyWindow ?? 64;
  const repetition = options.repetitionPenalty ?? 1;
  const frequency = options.frequencyPenalty ?? 0;
  const presence = options.presencePenalty ?? 0;
  const penalize = repetition !== 1 || frequency !== 0 || presence !== 0;

  return {
    options,
    sample(logits, sampleOptions = {}) {
      const raw = logSoftmax(logits);
      let scores: Float32Array | Float64Array = logits;
      if (penalize && sampleOptions.history?.length) {
        const history = sampleOptions.history;
        const recent = window > 0 ? history.slice(-window) : history;
        const counts = new Map<number, number>();
        for (const token of recent) counts.set(token, (counts.get(token) ?? 0) + 1);
        const adjusted = Float32Array.from(logits);
        for (const [token, count] of counts) {
          if (token < 0 || token >= adjusted.length) continue;
          let value = adjusted[token]!;
          // CTRL's rule (as in Hugging Face and llama.cpp): shrink a positive logit, grow a negative one.
          if (repetition !== 1) value = value > 0 ? value / repetition : value * repetition;
          value -= count * frequency + presence;
          adjusted[token] = value;
        }
        scores = adjusted;
      }
      const mask = sampleOptions.mask;
      let token: number;
      if (temperature === 0) {
        token = argmax(scores, mask);
      } else {
        // Candidates: allowed tokens with their tempered scores, best first.
        const candidates: { token: number; score: number }[] = [];
        for (let index = 0; index < scores.length; index++) {
          if (mask && !mask[index]) continue;
          const score = scores[index]!;
          if (score === Number.NEGATIVE_INFINITY || Number.isNaN(score)) continue;
          candidates.push({ token: index, score: score / temperature });
        }
        candidates.sort((a, b) => b.score - a.score || a.token - b.token);
        let kept = candidates;
        if (options.topK && options.topK > 0) kept = kept.slice(0, options.topK);
        const max = kept[0]?.score ?? 0;
        let probabilities = kept.map((candidate) => Math.exp(candidate.score - max));
        let total = probabilities.reduce((sum, value) => sum + value, 0);
        if (options.topP !== undefined && options.topP < 1) {
          let cumulative = 0;
          let cut = probabilities.length;
          for (let index = 0; index < probabilities.length; index++) {
            cumulative += probabilities[index]! / total;
            if (cumulative >= options.topP) {
              cut = index + 1;
              break;
            }
          }
          kept = kept.slice(0, cut);
          probabilities = probabilities.slice(0, cut);
        }
        if (options.minP !== undefined && options.minP > 0 && probabilities.length > 0) {
          // Relative to the most likely token (probabilities[0] is exp(0) = 1).
          const floor = options.minP * probabilities[0]!;
          const cut = Math.max(
            1,
            probabilities.findIndex((value) => value < floor),
          );
          if (probabilities.some((value) => value < floor)) {
            kept = kept.slice(0, cut);
            probabilities = probabilities.slice(0, cut);
          }
        }
        total = probabilities.reduce((sum, value) => sum + value, 0);
        let target = random() * total;
        token = kept.at(-1)?.token ?? -1;
        for (let index = 0; index < kept.length; index++) {
          target -= probabilities[index]!;
          if (target < 0) {
            token = kept[index]!.token;
            break;
          }
        }
      }
      if (token < 0) token = argmax(scores);
      const result: SampleResult = { token, logprob: raw[token]! };
      if (sampleOptions.topLogprobs)
        result.topLogprobs = topEntries(raw, sampleOptions.topLogprobs);
      return result;
    },
  };
}
