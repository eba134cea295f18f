/**
 * Where experiment state lives: each variant's counters (requests, errors, and count, sum
 * and sum of squares per metric: all additive, so replicas can count into one place), the
 * experiment's status (running, stopped with a reason, promoted) and the number of looks
 * taken. A shared store (Redis) gives every replica the same numbers and the same status;
 * assignment needs no store: it is a hash every replica computes alike.
 */
import type { ExperimentStatus } from './experiment-definition';

/** Counter name -> value, e.g. `requests`, `errors`, `latencyMs.sum`. */
export type VariantCounters = Record<string, number>;

export interface ExperimentStatusRecord {
  status: ExperimentStatus;
  stoppedReason?: string;
  promoted?: string;
}

export interface ExperimentExchange {
  /** The variants whose totals to answer. */
  variants: readonly string[];
  /** Counters to add, per variant. */
  counters: Record<string, VariantCounters>;
  looks: number;
  /** A status change to record; `stopped` is final and wins over any other. */
  status?: ExperimentStatusRecord;
}

export interface ExperimentSnapshot {
  counters: Record<string, VariantCounters>;
  looks: number;
  status: ExperimentStatusRecord | undefined;
}

export interface ExperimentStore {
  /** Adds the counters and looks, records the status change, and answers the totals after them. */
  exchange(experimentId: string, update: ExperimentExchange): Promise<ExperimentSnapshot>;
  close?(): Promise<void>;
}

/** Whether a status change may replace the recorded one: nothing replaces a stop. */
export function statusMayReplace(
  current: ExperimentStatusRecord | undefined,
  next: ExperimentStatusRecord,
): boolean {
  if (!current) return true;
  if (current.status === 'stopped') return false;
  return next.status !== 'draft';
}

export class MemoryExperimentStore implements ExperimentStore {
  private readonly experiments = new Map<string, ExperimentSnapshot>();

  async exchange(experimentId: string, update: ExperimentExchange): Promise<ExperimentSnapshot> {
    let state = this.experiments.get(experimentId);
    if (!state) {
      state = { counters: {}, looks: 0, status: undefined };
      this.experiments.set(experimentId, state);
    }
    for (const [variant, counters] of Object.entries(update.counters)) {
      const target = state.counters[variant] ?? {};
      for (const [name, by] of Object.entries(counters)) target[name] = (target[name] ?? 0) + by;
      state.counters[variant] = target;
    }
    state.looks += update.looks;
    if (update.status && statusMayReplace(state.status, update.status))
      state.status = update.status;
    return structuredClone(state);
  }
}
