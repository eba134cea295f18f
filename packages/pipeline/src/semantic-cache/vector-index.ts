/**
 * Exact nearest-neighbour search by cosine similarity, one index per scope. Vectors are
 * normalised once on insert, so a query is one dot product per entry: exact and simple,
 * and fast enough for the tens of thousands of prompts a cache scope holds. Each scope is
 * bounded; the oldest entries go first.
 */
import { InvalidArgumentError } from '@llmr/core';

export interface VectorMatch<T> {
  similarity: number;
  value: T;
}

interface Row<T> {
  id: string;
  vector: Float32Array;
  value: T;
  expiresAt: number;
}

export function normalize(vector: readonly number[]): Float32Array {
  let norm = 0;
  for (const component of vector) norm += component * component;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(vector, (component) => component / norm);
}

export class VectorIndex<T> {
  private readonly scopes = new Map<string, { rows: Row<T>[]; ids: Set<string> }>();

  constructor(private readonly maxEntriesPerScope: number) {}

  add(scope: string, id: string, vector: readonly number[], value: T, expiresAt: number): void {
    let rows = this.scopes.get(scope);
    if (!rows) {
      rows = { rows: [], ids: new Set() };
      this.scopes.set(scope, rows);
    }
    if (rows.ids.has(id)) return;
    const first = rows.rows[0];
    if (first && first.vector.length !== vector.length)
      throw new InvalidArgumentError({
        argument: 'vector',
        value: vector.length,
        message: `Embeddings in one cache scope must have one size (${first.vector.length}); got ${vector.length}. Use one embedding model per cache.`,
      });
    rows.rows.push({ id, vector: normalize(vector), value, expiresAt });
    rows.ids.add(id);
    while (rows.rows.length > this.maxEntriesPerScope) rows.ids.delete(rows.rows.shift()!.id);
  }

  /** The most similar live entry of the scope, if any. */
  nearest(scope: string, vector: readonly number[], now: number): VectorMatch<T> | undefined {
    const rows = this.scopes.get(scope);
    if (!rows) return undefined;
    const query = normalize(vector);
    let best: VectorMatch<T> | undefined;
    for (const row of rows.rows) {
      if (row.expiresAt <= now || row.vector.length !== query.length) continue;
      let dot = 0;
      for (let index = 0; index < query.length; index++) dot += query[index]! * row.vector[index]!;
      if (!best || dot > best.similarity) best = { similarity: dot, value: row.value };
    }
    return best;
  }

  size(): number {
    let total = 0;
    for (const rows of this.scopes.values()) total += rows.rows.length;
    return total;
  }
}
