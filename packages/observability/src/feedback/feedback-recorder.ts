/**
 * User feedback on a response: a score or a thumbs up/down with optional text, stored with
 * the routing data the request had (model, route, tenant, task tag, experiment variant),
 * and passed on to the quality scores and to the experiment the response took part in.
 * Responses are remembered in a response registry (bounded in memory by default, shared
 * through Redis across replicas), entries in a bounded log, so memory does not grow with
 * traffic.
 */
import { ObservabilityError } from '../errors';
import type { ExperimentManager } from '../experiments/experiment-manager';
import type { QualityScores } from './quality-scores';
import {
  MemoryResponseRegistry,
  type ResponseRecord,
  type ResponseRegistry,
} from './response-registry';

export type { ResponseRecord } from './response-registry';

export interface FeedbackInput {
  responseId: string;
  /** In [0, 1]. Give this or `thumbs`. */
  score?: number;
  thumbs?: 'up' | 'down';
  text?: string;
}

export interface FeedbackEntry {
  responseId: string;
  score: number;
  thumbs?: 'up' | 'down';
  text?: string;
  at: number;
  response: ResponseRecord;
}

export interface FeedbackRecorderOptions {
  quality?: QualityScores;
  experiments?: ExperimentManager;
  /**
   * Where served responses are remembered; default in memory, this process only (see
   * `RedisResponseRegistry` for replicas).
   */
  responses?: ResponseRegistry;
  /** Responses remembered by the default in-memory registry; default 100,000. */
  maxResponses?: number;
  /** Feedback entries kept; default 10,000. */
  maxEntries?: number;
  /** Longest accepted text; default 4,000 characters. */
  maxTextLength?: number;
  now?: () => number;
}

function invalid(message: string): ObservabilityError {
  return new ObservabilityError({ code: 'invalid-feedback', message });
}

export class FeedbackRecorder {
  private readonly responses: ResponseRegistry;
  private readonly log: FeedbackEntry[] = [];
  private readonly now: () => number;

  constructor(private readonly options: FeedbackRecorderOptions = {}) {
    this.now = options.now ?? Date.now;
    this.responses =
      options.responses ??
      new MemoryResponseRegistry(
        options.maxResponses !== undefined ? { maxResponses: options.maxResponses } : {},
      );
  }

  registerResponse(record: Omit<ResponseRecord, 'createdAt'>): void {
    this.responses.register({ ...record, createdAt: this.now() });
  }

  response(responseId: string): ResponseRecord | undefined | Promise<ResponseRecord | undefined> {
    return this.responses.lookup(responseId);
  }

  /** Resolves when every response registered so far can be found by every replica. */
  async idle(): Promise<void> {
    await this.responses.idle?.();
  }

  async close(): Promise<void> {
    await this.responses.close?.();
  }

  /**
   * Checks and stores feedback; rejects with an `ObservabilityError` that says what was
   * wrong. Asynchronous because a shared registry looks the response up in Redis.
   */
  async submit(input: FeedbackInput): Promise<FeedbackEntry> {
    if (typeof input !== 'object' || input === null)
      throw invalid('The body must be a JSON object.');
    if (
      typeof input.responseId !== 'string' ||
      input.responseId.length === 0 ||
      input.responseId.length > 200
    ) {
      throw invalid('"responseId" must be the id of a response (a string of 1-200 characters).');
    }
    if ((input.score === undefined) === (input.thumbs === undefined)) {
      throw invalid(
        'Give exactly one of "score" (a number from 0 to 1) or "thumbs" ("up" or "down").',
      );
    }
    if (
      input.score !== undefined &&
      !(typeof input.score === 'number' && input.score >= 0 && input.score <= 1)
    ) {
      throw invalid(`"score" must be a number from 0 to 1, got ${JSON.stringify(input.score)}.`);
    }
    if (input.thumbs !== undefined && input.thumbs !== 'up' && input.thumbs !== 'down') {
      throw invalid(`"thumbs" must be "up" or "down", got ${JSON.stringify(input.thumbs)}.`);
    }
    const maxText = this.options.maxTextLength ?? 4_000;
    if (
      input.text !== undefined &&
      (typeof input.text !== 'string' || input.text.length > maxText)
    ) {
      throw invalid(`"text" must be a string of at most ${maxText} characters.`);
    }
    const response = await this.responses.lookup(input.responseId);
    if (!response) {
      throw new ObservabilityError({
        code: 'feedback-unknown-response',
        message: `No response "${input.responseId}" is known here: it is too old, or was never served by this server (or, with a shared registry, by any replica). Send feedback for the "id" of a recent response.`,
      });
    }
    const score = input.score ?? (input.thumbs === 'up' ? 1 : 0);
    const entry: FeedbackEntry = {
      responseId: input.responseId,
      score,
      ...(input.thumbs ? { thumbs: input.thumbs } : {}),
      ...(input.text ? { text: input.text } : {}),
      at: this.now(),
      response,
    };
    this.log.push(entry);
    if (this.log.length > (this.options.maxEntries ?? 10_000)) this.log.shift();
    this.options.quality?.add(response.model, score, response.taskTag);
    if (response.experiment) {
      this.options.experiments?.recordFeedback(
        response.experiment.id,
        response.experiment.variant,
        score,
      );
    }
    return entry;
  }

  entries(): readonly FeedbackEntry[] {
    return this.log;
  }
}
