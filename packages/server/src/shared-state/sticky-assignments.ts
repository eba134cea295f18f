/**
 * Sticky assignments: a subject (a user, a session, a conversation) keeps the value it was
 * first given (an experiment variant, a replica, a model) for as long as it keeps coming
 * back within the time to live. The map lives in the shared state, so with Redis every
 * replica gives a subject the same answer, and two replicas assigning one subject at the
 * same moment agree on the first one's choice.
 */
import { LlmrError } from '@llmr/core';
import type { SharedState } from './shared-state';

/** Longest subject accepted: subjects become keys, and keys must stay bounded. */
export const MAX_STICKY_SUBJECT_LENGTH = 256;
const MAX_STICKY_VALUE_LENGTH = 1024;

export interface StickyAssignmentsOptions {
  /** Keeps several maps apart in one state (`experiment:<id>`, `session`). Default `default`. */
  namespace?: string;
  /** How long an assignment lasts after the subject was last seen. Default 30 minutes. */
  ttlMs?: number;
}

export interface StickyAssignments {
  /**
   * The subject's value if it has one (its time to live renewed), else `choose()`'s,
   * stored. `choose` may run on several replicas at once; only the first result is kept.
   */
  assign(subject: string, choose: () => string): Promise<string>;
  /** The subject's value, without renewing it. */
  get(subject: string): Promise<string | undefined>;
  /** Forget the subject's value: its next `assign` chooses again. */
  release(subject: string): Promise<void>;
}

export function createStickyAssignments(
  state: SharedState,
  options: StickyAssignmentsOptions = {},
): StickyAssignments {
  const namespace = options.namespace ?? 'default';
  const ttlMs = options.ttlMs ?? 30 * 60_000;
  if (!(ttlMs > 0))
    throw new LlmrError({
      code: 'invalid-argument',
      message: `Sticky assignments need a positive ttlMs; got ${ttlMs}.`,
    });
  const keyOf = (subject: string) => {
    if (subject.length === 0 || subject.length > MAX_STICKY_SUBJECT_LENGTH)
      throw new LlmrError({
        code: 'invalid-argument',
        message: `A sticky subject must be 1-${MAX_STICKY_SUBJECT_LENGTH} characters; got ${subject.length}. Hash longer identifiers first.`,
      });
    return `sticky:${namespace}:${subject}`;
  };
  return {
    async assign(subject, choose) {
      const key = keyOf(subject);
      const held = await state.get(key);
      const value = held ?? choose();
      if (value.length > MAX_STICKY_VALUE_LENGTH)
        throw new LlmrError({
          code: 'invalid-argument',
          message: `A sticky value must be at most ${MAX_STICKY_VALUE_LENGTH} characters; got ${value.length}.`,
        });
      // Claimed even when it was held: the claim renews it, and wins or loses atomically
      // against a replica that chose at the same moment.
      return state.claim(key, value, ttlMs);
    },
    get: (subject) => state.get(keyOf(subject)),
    release: (subject) => state.delete(keyOf(subject)),
  };
}
