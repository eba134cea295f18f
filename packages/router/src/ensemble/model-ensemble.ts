/**
 * Several models (or several samples of one) on one request: `best-of-n` keeps the
 * answer a scorer likes best, `majority-vote` the most common answer, and
 * `first-to-finish` the first complete answer, aborting the others. Each member goes
 * through the router, so retries, fallbacks, breakers and stats apply to each.
 */
import { InvalidArgumentError } from '@llmr/core';
import { RouterError } from '../errors';
import { describeError } from '../events';
import type { AttemptError, RouterGenerateResult, RouterRequest } from '../types';

export type EnsembleMode = 'best-of-n' | 'majority-vote' | 'first-to-finish';

export interface ModelEnsembleOptions {
  mode: EnsembleMode;
  /** Members: model ids, aliases or routes. One member with `n` > 1 samples it `n` times with seeds seed, seed+1, ... */
  models: string[];
  /** Samples when `models` has one entry (default: models.length). */
  n?: number;
  /** best-of-n: higher is better. */
  scorer?: (result: RouterGenerateResult, request: RouterRequest) => number | Promise<number>;
  /** majority-vote: answers equal after this count as the same vote (default: trim, collapse spaces, lower case). */
  normalize?: (text: string) => string;
}

export interface EnsembleMember {
  model: string;
  modelId?: string;
  text?: string;
  score?: number;
  votes?: number;
  aborted?: boolean;
  error?: AttemptError;
}

export interface EnsembleResult extends RouterGenerateResult {
  ensemble: { mode: EnsembleMode; winner: number; members: EnsembleMember[] };
}

interface EnsembleRouter {
  generate(request: RouterRequest): Promise<RouterGenerateResult>;
}

const defaultNormalize = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

export class ModelEnsemble {
  constructor(
    private readonly router: EnsembleRouter,
    readonly options: ModelEnsembleOptions,
  ) {
    if (!options.models?.length)
      throw new InvalidArgumentError({
        argument: 'models',
        message: 'An ensemble needs at least one member model.',
      });
    if (options.mode === 'best-of-n' && !options.scorer) {
      throw new InvalidArgumentError({
        argument: 'scorer',
        message:
          'best-of-n needs a `scorer(result, request)` returning a number (higher is better).',
      });
    }
  }

  private members(request: RouterRequest): RouterRequest[] {
    const { models, n } = this.options;
    const count = models.length === 1 ? (n ?? 1) : models.length;
    return Array.from({ length: count }, (_, index) => ({
      ...request,
      model: models[index % models.length]!,
      // Samples of one model must differ: each gets its own seed.
      ...(models.length === 1 && count > 1 ? { seed: (request.seed ?? 0) + index } : {}),
      requestId: `${request.requestId ?? 'ensemble'}:${index}`,
      cache: false,
    }));
  }

  async generate(request: RouterRequest): Promise<EnsembleResult> {
    const members = this.members(request);
    if (this.options.mode === 'first-to-finish') return this.firstToFinish(request, members);
    const settled = await Promise.allSettled(members.map((member) => this.router.generate(member)));
    const views: EnsembleMember[] = settled.map((outcome, index) =>
      outcome.status === 'fulfilled'
        ? {
            model: members[index]!.model!,
            modelId: outcome.value.routing.modelId,
            text: outcome.value.text,
          }
        : { model: members[index]!.model!, error: describeError(outcome.reason) },
    );
    const ok = settled.flatMap((outcome, index) =>
      outcome.status === 'fulfilled' ? [{ index, result: outcome.value }] : [],
    );
    if (ok.length === 0) throw this.allFailed(views, settled);
    let winner: number;
    if (this.options.mode === 'best-of-n') {
      let best = Number.NEGATIVE_INFINITY;
      winner = ok[0]!.index;
      for (const { index, result } of ok) {
        const score = await this.options.scorer!(result, request);
        views[index]!.score = score;
        if (score > best) {
          best = score;
          winner = index;
        }
      }
    } else {
      const normalize = this.options.normalize ?? defaultNormalize;
      const votes = new Map<string, number[]>();
      for (const { index, result } of ok) {
        const key = normalize(result.text);
        votes.set(key, [...(votes.get(key) ?? []), index]);
      }
      // Most votes wins; a tie goes to the answer given first (members are in order).
      const groups = [...votes.values()].sort((a, b) => b.length - a.length || a[0]! - b[0]!);
      for (const group of groups) for (const index of group) views[index]!.votes = group.length;
      winner = groups[0]![0]!;
    }
    const result = (settled[winner] as PromiseFulfilledResult<RouterGenerateResult>).value;
    return { ...result, ensemble: { mode: this.options.mode, winner, members: views } };
  }

  private async firstToFinish(
    request: RouterRequest,
    members: RouterRequest[],
  ): Promise<EnsembleResult> {
    const controllers = members.map(() => new AbortController());
    const onAbort = () => {
      for (const controller of controllers) controller.abort(request.abortSignal?.reason);
    };
    request.abortSignal?.addEventListener('abort', onAbort, { once: true });
    const views: EnsembleMember[] = members.map((member) => ({ model: member.model! }));
    const outcomes: PromiseSettledResult<RouterGenerateResult>[] = [];
    try {
      const winner = await new Promise<{ index: number; result: RouterGenerateResult }>(
        (resolve, reject) => {
          let pending = members.length;
          members.forEach((member, index) => {
            this.router.generate({ ...member, abortSignal: controllers[index]!.signal }).then(
              (result) => {
                outcomes[index] = { status: 'fulfilled', value: result };
                views[index]!.modelId = result.routing.modelId;
                views[index]!.text = result.text;
                resolve({ index, result });
              },
              (error: unknown) => {
                outcomes[index] = { status: 'rejected', reason: error };
                if (!views[index]!.aborted) views[index]!.error = describeError(error);
                if (--pending === 0) reject(this.allFailed(views, outcomes));
              },
            );
          });
        },
      );
      // The losers are still running: stop them.
      controllers.forEach((controller, index) => {
        if (index !== winner.index && outcomes[index] === undefined) {
          views[index]!.aborted = true;
          controller.abort(new Error('Another ensemble member finished first.'));
        }
      });
      return {
        ...winner.result,
        ensemble: { mode: 'first-to-finish', winner: winner.index, members: views },
      };
    } finally {
      request.abortSignal?.removeEventListener('abort', onAbort);
    }
  }

  private allFailed(
    views: EnsembleMember[],
    outcomes: PromiseSettledResult<unknown>[],
  ): RouterError {
    const first = outcomes.find((outcome) => outcome?.status === 'rejected') as
      | PromiseRejectedResult
      | undefined;
    return new RouterError({
      code: 'all-candidates-failed',
      isRetryable: views.some((view) => view.error?.isRetryable),
      message: `Every ensemble member failed: ${views.map((view) => `${view.model}: ${view.error?.message ?? 'aborted'}`).join('; ')}`,
      cause: first?.reason,
    });
  }
}
