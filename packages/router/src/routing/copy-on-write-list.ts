/**
 * A list whose state can be frozen in O(1) and changed one item at a time: `freeze()`
 * returns the list as it is now, and a later `set` copies only the chunk it writes (and
 * the small chunk table), not the list. A candidate snapshot freezes its views for every
 * decision whose full ranking is deferred and then changes one view per lease: copying
 * all of them per decision (and collecting the copies) cost more at 1,000 candidates
 * than selecting the winner did.
 */

/** Items per chunk: a write after a freeze copies two arrays of about this size. */
const CHUNK = 32;

/** The list as it was when frozen; never changed afterwards. */
export type FrozenList<T> = readonly (readonly T[])[];

export function frozenToArray<T>(frozen: FrozenList<T>): T[] {
  return frozen.flat() as T[];
}

export class CopyOnWriteList<T> {
  private table: T[][];
  /**
   * Bumped by a freeze when the table is not shared yet: the table and every chunk whose
   * epoch is older belong to some frozen list, and a write copies them first.
   */
  private epoch = 0;
  private tableEpoch = 0;
  private readonly chunkEpochs: Uint32Array;
  private shared = false;

  constructor(items: readonly T[]) {
    const table: T[][] = [];
    for (let start = 0; start < items.length; start += CHUNK)
      table.push(items.slice(start, start + CHUNK));
    this.table = table;
    this.chunkEpochs = new Uint32Array(table.length);
  }

  set(index: number, item: T): void {
    const chunk = (index / CHUNK) | 0;
    if (this.tableEpoch !== this.epoch) {
      this.table = this.table.slice();
      this.tableEpoch = this.epoch;
    }
    if (this.chunkEpochs[chunk] !== this.epoch) {
      this.table[chunk] = this.table[chunk]!.slice();
      this.chunkEpochs[chunk] = this.epoch;
    }
    this.table[chunk]![index % CHUNK] = item;
    this.shared = false;
  }

  /** The list as it is now; later writes leave it as it is. */
  freeze(): FrozenList<T> {
    if (!this.shared) {
      this.epoch++;
      this.shared = true;
    }
    return this.table;
  }
}
