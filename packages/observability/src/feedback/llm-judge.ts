/**
 * LLM-as-judge: a judge model scores a sampled fraction of responses against a rubric, in
 * the background (a bounded queue, a few at a time, never on the request's path). Verdicts
 * are kept apart from user feedback, since a judge has its own biases; pass `quality` to
 * feed them into a (separate) QualityScores.
 */
import type { ModelV1 } from '@llmr/core';
import { generate } from '@llmr/core';
import type { QualityScores } from './quality-scores';

export interface JudgeRequest {
  responseId: string;
  model: string;
  prompt: string;
  response: string;
  taskTag?: string;
}

export interface JudgeVerdict {
  responseId: string;
  model: string;
  taskTag?: string;
  /** In [0, 1] (the judge's 1-10 mapped linearly); undefined when its answer had no score. */
  score: number | undefined;
  /** The judge's own words, for audit. */
  raw: string;
  error?: string;
  at: number;
}

export interface LlmJudgeOptions {
  judge: ModelV1;
  rubric: string;
  /** Fraction of responses judged, 0..1. */
  sampleRate: number;
  /** Default `Math.random`; tests pass a seeded one. */
  random?: () => number;
  quality?: QualityScores;
  /** Judgements waiting at most; more are dropped (and counted). Default 100. */
  maxQueue?: number;
  /** Judgements in flight at once; default 1. */
  concurrency?: number;
  /** Verdicts kept; default 10,000. */
  maxVerdicts?: number;
  maxTokens?: number;
  now?: () => number;
}

const SCORE_PATTERN = /score\s*[:=]\s*(\d+(?:\.\d+)?)/i;

/** The judge's 1-10 score in [0, 1], or undefined when the text holds none in range. */
export function parseJudgeScore(text: string): number | undefined {
  const match = SCORE_PATTERN.exec(text) ?? /^\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!match?.[1]) return undefined;
  const value = Number(match[1]);
  if (!(value >= 1 && value <= 10)) return undefined;
  return (value - 1) / 9;
}

export class LlmJudge {
  private readonly queue: JudgeRequest[] = [];
  private readonly verdictLog: JudgeVerdict[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private droppedCount = 0;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: LlmJudgeOptions) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /**
   * Samples the response and, if chosen, queues it for judging. Returns whether it was.
   * Pass a function to build the request only when it is sampled (e.g. parsing a body).
   */
  maybeJudge(request: JudgeRequest | (() => JudgeRequest | undefined)): boolean {
    if (this.random() >= this.options.sampleRate) return false;
    if (this.queue.length >= (this.options.maxQueue ?? 100)) {
      this.droppedCount++;
      return false;
    }
    const built = typeof request === 'function' ? request() : request;
    if (!built) return false;
    this.queue.push(built);
    this.pump();
    return true;
  }

  private pump(): void {
    while (this.running < (this.options.concurrency ?? 1) && this.queue.length > 0) {
      const request = this.queue.shift();
      if (!request) break;
      this.running++;
      void this.judgeOne(request).finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && this.queue.length === 0) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
        }
      });
    }
  }

  private async judgeOne(request: JudgeRequest): Promise<void> {
    let raw = '';
    let error: string | undefined;
    try {
      const result = await generate(this.options.judge, {
        messages: [
          {
            role: 'system',
            content: `You grade answers. Rubric:\n${this.options.rubric}\nReply with "Score: N" (N from 1 to 10), then one sentence why.`,
          },
          {
            role: 'user',
            content: `Question:\n${request.prompt}\n\nAnswer to grade:\n${request.response}`,
          },
        ],
        temperature: 0,
        maxTokens: this.options.maxTokens ?? 64,
      });
      raw = result.text;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const score = error === undefined ? parseJudgeScore(raw) : undefined;
    if (error === undefined && score === undefined)
      error = 'The judge answered without a score from 1 to 10.';
    this.verdictLog.push({
      responseId: request.responseId,
      model: request.model,
      ...(request.taskTag ? { taskTag: request.taskTag } : {}),
      score,
      raw,
      ...(error ? { error } : {}),
      at: this.now(),
    });
    if (this.verdictLog.length > (this.options.maxVerdicts ?? 10_000)) this.verdictLog.shift();
    if (score !== undefined) this.options.quality?.add(request.model, score, request.taskTag);
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  verdicts(): readonly JudgeVerdict[] {
    return this.verdictLog;
  }

  /** Sampled responses dropped because the queue was full. */
  get dropped(): number {
    return this.droppedCount;
  }
}
