/**
 * Shares what each replica learns about its models' health. A replica whose model turned
 * unhealthy (failures in a row; the router is reloading or probing it) writes a mark to
 * the shared state, renews it while the model stays unhealthy, and removes it when the
 * model recovers; a mark also expires on its own, so a replica that dies leaves none
 * behind for long. Every replica reads the marks of all of them. Marks inform (the
 * `/api/health/models` view, dashboards, an operator); routing around a failing model
 * across replicas is the circuit breakers' job, because a local model can be broken on
 * one replica and fine on the others.
 */
import type { HealthControl } from '../backend';
import type { SharedState } from './shared-state';

export interface ModelHealthMark {
  modelId: string;
  state: 'unhealthy';
  /** The replica that saw it. */
  replica: string;
  /** Why, from the last failure (capped). */
  reason?: string;
  /** When it was marked (epoch ms). */
  since: number;
}

export interface ModelHealthSync {
  /** The marks of every replica, for the models this replica knows. */
  read(): Promise<ModelHealthMark[]>;
  stop(): void;
}

const MAX_REASON_LENGTH = 300;
const healthKey = (modelId: string) => `health:${modelId}`;

export function syncModelHealth(options: {
  control: HealthControl;
  state: SharedState;
  replica: string;
  /** How long a mark lives unless renewed. Default 60 s; renewed at a third of it. */
  ttlMs?: number;
  onError?: (error: unknown) => void;
}): ModelHealthSync {
  const { control, state, replica } = options;
  const ttlMs = options.ttlMs ?? 60_000;
  const onError = options.onError ?? (() => {});
  const ours = new Map<string, ModelHealthMark>();
  const write = (mark: ModelHealthMark) =>
    state.set(healthKey(mark.modelId), JSON.stringify(mark), ttlMs).catch(onError);

  const unsubscribe = control.subscribe((change) => {
    if (change.state === 'unhealthy') {
      const mark: ModelHealthMark = {
        modelId: change.modelId,
        state: 'unhealthy',
        replica,
        ...(change.reason ? { reason: change.reason.slice(0, MAX_REASON_LENGTH) } : {}),
        since: Date.now(),
      };
      ours.set(change.modelId, mark);
      void write(mark);
      return;
    }
    if (!ours.delete(change.modelId)) return;
    // Remove the mark only if it is still ours: another replica may have marked the model
    // since. (Read then delete is not atomic; a mark lost in that gap is rewritten by
    // its replica's next renewal.)
    state
      .get(healthKey(change.modelId))
      .then((value) => {
        if (value !== undefined && parseMark(value)?.replica === replica)
          return state.delete(healthKey(change.modelId));
      })
      .catch(onError);
  });
  const renew = setInterval(
    () => {
      for (const mark of ours.values()) void write(mark);
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  renew.unref?.();

  return {
    async read() {
      const ids = control.modelIds();
      const values = await state.getMany(ids.map(healthKey));
      return values.flatMap((value, index) => {
        const mark = value === undefined ? undefined : parseMark(value);
        return mark && mark.modelId === ids[index] ? [mark] : [];
      });
    },
    stop() {
      clearInterval(renew);
      unsubscribe();
    },
  };
}

function parseMark(value: string): ModelHealthMark | undefined {
  try {
    const mark = JSON.parse(value) as Partial<ModelHealthMark>;
    return typeof mark.modelId === 'string' &&
      mark.state === 'unhealthy' &&
      typeof mark.replica === 'string' &&
      typeof mark.since === 'number'
      ? (mark as ModelHealthMark)
      : undefined;
  } catch {
    return undefined;
  }
}
