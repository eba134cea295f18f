/**
 * Encodings remembered by a pair of values (an attribute's key and its value): a traced
 * server sends the same few hundred pairs with every request, and copying one remembered
 * encoding beats writing key and value again. Bounded by a number of entries: a stream of
 * distinct pairs starts it over instead of growing it.
 */
export class PairEncodingCache<Second> {
  private readonly byFirst = new Map<string, Map<Second, Uint8Array>>();
  private entries = 0;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries;
  }

  get(first: string, second: Second): Uint8Array | undefined {
    return this.byFirst.get(first)?.get(second);
  }

  set(first: string, second: Second, encoded: Uint8Array): void {
    if (this.entries >= this.maxEntries) {
      this.byFirst.clear();
      this.entries = 0;
    }
    let bySecond = this.byFirst.get(first);
    if (bySecond === undefined) {
      bySecond = new Map();
      this.byFirst.set(first, bySecond);
    }
    if (!bySecond.has(second)) this.entries++;
    bySecond.set(second, encoded);
  }
}
