/**
 * Builds a SentencePiece `precompiled_charsmap` (a darts-clone double-array trie from UTF-8
 * keys to offsets into a NUL-separated pool of replacements) from a small key -> value map,
 * so tests can give the reference and llmr the same Precompiled normalizer.
 */
interface TrieNode {
  children: Map<number, TrieNode>;
  value: number;
}

export function buildPrecompiledCharsmap(map: Record<string, string>): string {
  const encoder = new TextEncoder();
  const root: TrieNode = { children: new Map(), value: -1 };
  const pool: number[] = [];
  for (const [key, replacement] of Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1))) {
    let node = root;
    for (const byte of encoder.encode(key)) {
      let child = node.children.get(byte);
      if (!child) {
        child = { children: new Map(), value: -1 };
        node.children.set(byte, child);
      }
      node = child;
    }
    node.value = pool.length;
    pool.push(...encoder.encode(replacement), 0);
  }

  const units: number[] = [0];
  const used = new Set<number>([0]);
  const queue: Array<{ node: TrieNode; position: number }> = [{ node: root, position: 0 }];
  while (queue.length > 0) {
    const { node, position } = queue.shift()!;
    const labels = [...node.children.keys()];
    if (node.value >= 0) labels.push(0);
    if (labels.length === 0) continue;
    let base = 1;
    while (labels.some((label) => used.has(base ^ label) || (base ^ label) === 0)) base++;
    for (const label of labels) used.add(base ^ label);
    const offset = position ^ base;
    if (offset >= 1 << 21) throw new Error('charsmap too large for this builder');
    units[position] =
      ((units[position] ?? 0) | (offset << 10) | (node.value >= 0 ? 1 << 8 : 0)) >>> 0;
    if (node.value >= 0) units[base] = (0x80000000 | node.value) >>> 0;
    for (const [label, child] of node.children) {
      units[base ^ label] = label;
      queue.push({ node: child, position: base ^ label });
    }
  }
  const size = Math.max(...used) + 1;
  const bytes = new Uint8Array(4 + size * 4 + pool.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, size * 4, true);
  for (let index = 0; index < size; index++) view.setUint32(4 + index * 4, units[index] ?? 0, true);
  bytes.set(pool, 4 + size * 4);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
