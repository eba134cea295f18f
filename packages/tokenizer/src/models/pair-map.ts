/**
 * An open-addressing hash table from a pair of token ids to (rank, merged id). BPE looks
 * pairs up on every merge step; keying a JavaScript Map by `a * size + b` would box a
 * double per lookup, this table allocates nothing.
 */
export class PairMap {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  readonly ranks: Int32Array;
  readonly merged: Int32Array;
  private readonly mask: number;
  size = 0;

  constructor(capacity: number) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.left = new Int32Array(slots).fill(-1);
    this.right = new Int32Array(slots);
    this.ranks = new Int32Array(slots);
    this.merged = new Int32Array(slots);
    this.mask = slots - 1;
  }

  private slotOf(a: number, b: number): number {
    let hash = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x165667b1, 0x85ebca77);
    hash ^= hash >>> 15;
    hash = Math.imul(hash, 0x2c1b3c6d);
    hash ^= hash >>> 12;
    return hash & this.mask;
  }

  /** Sets the entry; a later duplicate replaces an earlier one, as in the reference. */
  set(a: number, b: number, rank: number, merged: number): void {
    let slot = this.slotOf(a, b);
    for (;;) {
      const key = this.left[slot]!;
      if (key === -1) {
        this.left[slot] = a;
        this.right[slot] = b;
        this.size++;
        break;
      }
      if (key === a && this.right[slot] === b) break;
      slot = (slot + 1) & this.mask;
    }
    this.ranks[slot] = rank;
    this.merged[slot] = merged;
  }

  /** The slot holding `(a, b)`, or -1. */
  find(a: number, b: number): number {
    let slot = this.slotOf(a, b);
    for (;;) {
      const key = this.left[slot]!;
      if (key === -1) return -1;
      if (key === a && this.right[slot] === b) return slot;
      slot = (slot + 1) & this.mask;
    }
  }
}
