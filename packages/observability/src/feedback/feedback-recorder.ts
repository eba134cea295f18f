/**
 * User feedback on a response: a score or a thumbs up/down with optional text, stored with
 * the routing data the request had (model, route, tenant, task tag, experiment variant),
 * and passed on to the quality scores and to the experiment the response took part in.
 * Responses are remembered in a bounded map (oldest dropped first), entries in a bounded
 * log, so memory does not grow with traffic.
 */
import { ObservabilityError } from '../errors';
import type { ExperimentManager } from '../experiments/experiment-manager';
import type { QualityScores } from './quality-scores';

export interface ResponseRecord {
  responseId: string;
  model: string;
  route?: string;
  tenant?: string;
  taskTag?: string;
  experiment?: { id: string; variant: string };
  createdAt: number;
}

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
  /** Responses remembered for feedback; default 100,000. */
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
  private readonly responses = new Map<string, ResponseRecord>();
  private readonly log: FeedbackEntry[] = [];
  private readonly now: () => number;

  constructor(private readonly options: FeedbackRecorderOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  registerResponse(record: Omit<ResponseRecord, 'createdAt'>): void {
    const limit = this.options.maxResponses ?? 100_000;
    this.responses.delete(record.responseId);
    this.responses.set(record.responseId, { ...record, createdAt: this.now() });
    // A Map iterates in insertion order: the first key is the oldest.
    while (this.responses.size > limit) {
      const oldest = this.responses.keys().next().value;
      if (oldest === undefined) break;
      this.responses.delete(oldest);
    }
  }

  response(responseId: string): ResponseRecord | undefined {
    return this.responses.get(responseId);
  }

  /** Checks and stores feedback; throws an `ObservabilityError` that says what was wrong. */
  submit(input: FeedbackInput): FeedbackEntry {
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
    const response = this.responses.get(input.responseId);
    if (!response) {
      throw new ObservabilityError({
        code: 'feedback-unknown-response',
        message: `No response "${input.responseId}" is known here: it is too old or was never served by this server. Send feedback for the "id" of a recent response.`,
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
