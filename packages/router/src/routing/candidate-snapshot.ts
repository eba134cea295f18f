/**
 * Versioned candidate snapshots: the filtered views of a slot list, and each pure
 * strategy's ranking of them, built once and reused by every decision that sees the same
 * state. Most decisions in a burst do: building a view per candidate (and ranking them)
 * was most of a decision's cost at 100+ models, while checking that nothing changed is a
 * few number comparisons per candidate and allocates nothing.
 *
 * A snapshot is valid while the config, pipelines, health monitor, quality scores and,
 * per slot, the pool entry, in-flight count, outcome count, latency windows and circuit
 * are what they were when it was built. When a candidate's load or stats moved and
 * nothing else did (what every lease and finished request does), the snapshot is updated
 * in place: that slot's fingerprint and view, a new `version`, its rankings dropped.
 * Anything else (a load, a circuit that stops or starts passing, an excluded slot that
 * changed) rebuilds it, reusing the views of the slots that did not change. It is request-independent only up to the inputs
 * in its key (route, required capabilities, estimated prompt and output tokens), and
 * never kept when a tokenizer had to count the prompt (that count is the request's own).
 */
import type { ModelSlot, RouterRuntime } from '../router-runtime';
import { builtinStrategies } from '../strategies/builtin-strategies';
import type { CandidateView, RoutingStrategy, StrategyContext } from '../types';
import {
  buildCandidateViews,
  type CandidateInputs,
  type CandidateViews,
  candidateView,
} from './build-candidate-views';
import { CopyOnWriteList, frozenToArray } from './copy-on-write-list';
import { type LazyRanking, rankLazily } from './lazy-ranking';

/** Strategies known to read their candidates without changing them: they get the shared list. */
const readOnlyStrategies = new WeakSet<RoutingStrategy>(builtinStrategies);

/** Numbers per slot in a snapshot's fingerprint. */
const FIELDS = 4;
/** Snapshots kept per slot list, one per key (different request shapes on the same list). */
const SNAPSHOTS_PER_LIST = 8;

export interface CandidateSnapshot extends CandidateViews {
  /** The route, when its pipelines may add capabilities (else routes share a snapshot). */
  readonly routeName: string | undefined;
  readonly requiredMask: number;
  readonly estimate: number;
  readonly expectedOutputTokens: number;
  readonly config: unknown;
  readonly pipelines: unknown;
  readonly healing: unknown;
  readonly healingVersion: number;
  readonly qualityVersion: number;
  /** Per slot: in flight, outcomes, ttft window version, tokens/s window version. */
  readonly numbers: Float64Array;
  /** Per slot: the pool entry, its model and its info (a load or unload changes them). */
  readonly references: unknown[];
  /** Per slot: the circuit state and whether it let requests pass. */
  readonly circuits: string[];
  readonly passes: Uint8Array;
  /** Per slot: the index of its view in `views`, -1 when it was excluded. */
  readonly viewIndex: Int32Array;
  /** 0 when built, bumped by every in-place update. */
  version: number;
  /**
   * `views` as a list that freezes in O(1), made when a deferred ranking first needs the
   * views as they were at its decision (in-place updates change `views` itself).
   */
  lendable: CopyOnWriteList<CandidateView> | undefined;
  /** Pure strategies' rankings of `views` per route settings, built on first use. */
  readonly rankings: Map<RoutingStrategy, Map<unknown, LazyRanking>>;
}

function fingerprint(
  slots: readonly ModelSlot[],
): Pick<CandidateSnapshot, 'numbers' | 'references' | 'circuits' | 'passes'> {
  const count = slots.length;
  const numbers = new Float64Array(count * FIELDS);
  const references: unknown[] = new Array(count * 3);
  const circuits: string[] = new Array(count);
  const passes = new Uint8Array(count);
  for (let index = 0; index < count; index++) {
    const { entry, stats, breaker } = slots[index]!;
    numbers[index * FIELDS] = stats.inFlight;
    numbers[index * FIELDS + 1] = stats.successes + stats.errors;
    numbers[index * FIELDS + 2] = stats.ttft.version;
    numbers[index * FIELDS + 3] = stats.tokensPerSecond.version;
    references[index * 3] = entry;
    references[index * 3 + 1] = entry?.model;
    references[index * 3 + 2] = entry?.info;
    circuits[index] = breaker.state;
    passes[index] = breaker.canPass() ? 1 : 0;
  }
  return { numbers, references, circuits, passes };
}

/** The route name when it matters to the views: when some pipeline may add capabilities. */
function pipelineRoute(runtime: RouterRuntime, inputs: CandidateInputs): string | undefined {
  return runtime.pipelines.routes.size + runtime.pipelines.models.size > 0
    ? inputs.routeName
    : undefined;
}

/** Whether the snapshot was built for these inputs under this config, health and quality. */
function sameKey(
  snapshot: CandidateSnapshot,
  runtime: RouterRuntime,
  inputs: CandidateInputs,
): boolean {
  return (
    snapshot.routeName === pipelineRoute(runtime, inputs) &&
    snapshot.requiredMask === inputs.requiredMask &&
    snapshot.estimate === inputs.estimate &&
    snapshot.expectedOutputTokens === inputs.expectedOutputTokens &&
    inputs.upperBound < snapshot.minContextLength &&
    snapshot.config === runtime.config &&
    snapshot.pipelines === runtime.pipelines &&
    snapshot.healing === runtime.healing &&
    snapshot.healingVersion === (runtime.healing?.version ?? 0) &&
    snapshot.qualityVersion === runtime.quality.version
  );
}

/** Whether the slot at `index` is in the state the snapshot saw. */
function sameSlot(snapshot: CandidateSnapshot, slot: ModelSlot, index: number): boolean {
  const { numbers, references, circuits, passes } = snapshot;
  const { entry, stats, breaker } = slot;
  return (
    numbers[index * FIELDS] === stats.inFlight &&
    numbers[index * FIELDS + 1] === stats.successes + stats.errors &&
    numbers[index * FIELDS + 2] === stats.ttft.version &&
    numbers[index * FIELDS + 3] === stats.tokensPerSecond.version &&
    references[index * 3] === entry &&
    references[index * 3 + 1] === entry?.model &&
    references[index * 3 + 2] === entry?.info &&
    circuits[index] === breaker.state &&
    passes[index] === (breaker.canPass() ? 1 : 0)
  );
}

/** The view fields an in-place update can change: the rest come from config and the key. */
const movingFields = [
  'inFlight',
  'quality',
  'errorRate',
  'circuit',
  'ttftMs',
  'tokensPerSecond',
  'samples',
] as const satisfies readonly (keyof CandidateView)[];

/** Which moving fields differ between two views of one slot, one bit per field. */
function movedFields(earlier: CandidateView, view: CandidateView): number {
  let mask = 0;
  for (let bit = 0; bit < movingFields.length; bit++) {
    const field = movingFields[bit]!;
    if (earlier[field] !== view[field]) mask |= 1 << bit;
  }
  return mask;
}

/** Per strategy, the moving fields it reads (all of them when it does not say). */
const readMasks = new WeakMap<RoutingStrategy, number>();

function readMask(strategy: RoutingStrategy): number {
  let mask = readMasks.get(strategy);
  if (mask === undefined) {
    mask = 0;
    for (let bit = 0; bit < movingFields.length; bit++)
      if (!strategy.reads || strategy.reads.includes(movingFields[bit]!)) mask |= 1 << bit;
    readMasks.set(strategy, mask);
  }
  return mask;
}

/** Drops the rankings that read a field that moved; the others rank the same views alike. */
function dropRankings(snapshot: CandidateSnapshot, moved: number): void {
  for (const strategy of snapshot.rankings.keys())
    if ((readMask(strategy) & moved) !== 0) snapshot.rankings.delete(strategy);
}

/**
 * Brings a current-key snapshot up to date in place when every changed slot is a
 * candidate whose references are the same and whose circuit still passes: only its
 * numbers moved, so only its view changes. False (nothing or part done, all of it
 * consistent) when some change needs a rebuild.
 */
function updateInPlace(
  snapshot: CandidateSnapshot,
  runtime: RouterRuntime,
  slots: readonly ModelSlot[],
  inputs: CandidateInputs,
): boolean {
  const { numbers, references, circuits, passes, viewIndex } = snapshot;
  let updated = false;
  for (let index = 0; index < slots.length; index++) {
    const slot = slots[index]!;
    if (sameSlot(snapshot, slot, index)) continue;
    const { entry, stats, breaker } = slot;
    const position = viewIndex[index]!;
    if (
      position < 0 ||
      references[index * 3] !== entry ||
      references[index * 3 + 1] !== entry?.model ||
      references[index * 3 + 2] !== entry?.info ||
      !breaker.canPass()
    )
      return false;
    // The fingerprint first, as in a build: a change while the view is made reads as stale.
    numbers[index * FIELDS] = stats.inFlight;
    numbers[index * FIELDS + 1] = stats.successes + stats.errors;
    numbers[index * FIELDS + 2] = stats.ttft.version;
    numbers[index * FIELDS + 3] = stats.tokensPerSecond.version;
    circuits[index] = breaker.state;
    passes[index] = 1;
    const views = snapshot.views;
    const earlier = views[position]!;
    // A kept snapshot never counted the prompt (see `candidateSnapshot`): the estimate it is.
    const view = candidateView(
      runtime,
      slot,
      index,
      earlier.capabilities,
      earlier.contextLength,
      inputs.estimate,
      inputs,
    );
    views[position] = view;
    snapshot.lendable?.set(position, view);
    if (!updated) {
      updated = true;
      snapshot.version++;
    }
    dropRankings(snapshot, movedFields(earlier, view));
  }
  return true;
}

/**
 * The views of an older snapshot with the same key, by slot, for the slots whose state has
 * not changed since: a request starting or ending changes one model's view, and the build
 * after it reuses every other one.
 */
function unchangedViews(
  base: CandidateSnapshot,
  slots: readonly ModelSlot[],
): (order: number) => CandidateView | undefined {
  const bySlot: (CandidateView | undefined)[] = new Array(slots.length);
  for (const view of base.views) bySlot[view.order] = view;
  return (order) =>
    bySlot[order] && sameSlot(base, slots[order]!, order) ? bySlot[order] : undefined;
}

/**
 * The candidates for these slots and inputs: a current snapshot when one exists, else a
 * fresh build (kept for the next decisions when `reuse` and the build depended on nothing
 * but the key).
 */
export function candidateSnapshot(
  runtime: RouterRuntime,
  slots: readonly ModelSlot[],
  inputs: CandidateInputs,
  reuse: boolean,
): CandidateSnapshot {
  const kept = reuse ? runtime.candidateSnapshots.get(slots) : undefined;
  // At most one snapshot per key: it is current, or the base of the next one.
  let base: CandidateSnapshot | undefined;
  let baseIndex = -1;
  if (kept) {
    for (let index = 0; index < kept.length; index++) {
      const snapshot = kept[index]!;
      if (!sameKey(snapshot, runtime, inputs)) continue;
      if (updateInPlace(snapshot, runtime, slots, inputs)) return snapshot;
      base = snapshot;
      baseIndex = index;
      break;
    }
  }
  // The fingerprint is taken first: a change during the build makes the snapshot stale.
  const state = fingerprint(slots);
  const built = buildCandidateViews(
    runtime,
    slots,
    inputs,
    base ? unchangedViews(base, slots) : undefined,
  );
  const snapshot: CandidateSnapshot = {
    views: built.views,
    excluded: built.excluded,
    exactPromptTokens: built.exactPromptTokens,
    minContextLength: built.minContextLength,
    numbers: state.numbers,
    references: state.references,
    circuits: state.circuits,
    passes: state.passes,
    routeName: pipelineRoute(runtime, inputs),
    requiredMask: inputs.requiredMask,
    estimate: inputs.estimate,
    expectedOutputTokens: inputs.expectedOutputTokens,
    config: runtime.config,
    pipelines: runtime.pipelines,
    healing: runtime.healing,
    healingVersion: runtime.healing?.version ?? 0,
    qualityVersion: runtime.quality.version,
    viewIndex: viewIndexOf(built.views, slots.length),
    version: 0,
    lendable: undefined,
    rankings: new Map(),
  };
  if (reuse && inputs.upperBound < built.minContextLength) {
    const list = kept ?? [];
    if (baseIndex >= 0) list[baseIndex] = snapshot;
    else {
      if (list.length >= SNAPSHOTS_PER_LIST) list.shift();
      list.push(snapshot);
    }
    if (!kept) runtime.candidateSnapshots.set(slots, list);
  }
  return snapshot;
}

function viewIndexOf(views: readonly CandidateView[], slotCount: number): Int32Array {
  const viewIndex = new Int32Array(slotCount).fill(-1);
  for (let position = 0; position < views.length; position++)
    viewIndex[views[position]!.order] = position;
  return viewIndex;
}

/**
 * The strategy's ranking of the snapshot's views, head first (see lazy-ranking.ts). A pure
 * strategy's ranking is made once per snapshot and route settings (`settingsKey`: the
 * route's config object) and shared by the decisions that reuse it, its full order and
 * explanations too once something asked for them (not frozen: freezing two objects per
 * candidate cost more than ranking them); any other strategy ranks on every decision (a
 * custom one a copy of the views, in case it sorts them in place or keeps them).
 *
 * A deferred pure ranking ranks the views frozen at its decision. The built-in strategies
 * that are not pure get the live views: what their deferred rankings read (model ids by
 * position) an in-place update never changes.
 */
export function rankSnapshot(
  snapshot: CandidateSnapshot,
  strategy: RoutingStrategy,
  settingsKey: unknown,
  context: () => StrategyContext,
): LazyRanking {
  if (!strategy.pure) {
    const views = readOnlyStrategies.has(strategy) ? snapshot.views : snapshot.views.slice();
    return rankLazily(strategy, views, context());
  }
  let byRoute = snapshot.rankings.get(strategy);
  if (!byRoute) {
    byRoute = new Map();
    snapshot.rankings.set(strategy, byRoute);
  }
  let ranking = byRoute.get(settingsKey);
  if (!ranking) {
    // A custom select's own deferred `rank` may keep its candidates: a copy it owns.
    const views =
      strategy.select && !readOnlyStrategies.has(strategy)
        ? snapshot.views.slice()
        : snapshot.views;
    ranking = rankLazily(
      strategy,
      views,
      context(),
      strategy.select && views === snapshot.views ? frozenViews(snapshot) : undefined,
    );
    byRoute.set(settingsKey, ranking);
  }
  return ranking;
}

/** The snapshot's views as they are now, for a ranking made later. */
function frozenViews(snapshot: CandidateSnapshot): () => CandidateView[] {
  snapshot.lendable ??= new CopyOnWriteList(snapshot.views);
  const frozen = snapshot.lendable.freeze();
  return () => frozenToArray(frozen);
}
