/**
 * A small vocabulary that screens pre-tokenizer names cheaply. Loading a 128k-token
 * vocabulary into llama.cpp takes seconds, once per name tried; the split regex does not
 * depend on the vocabulary, so the probe first tries each name on a vocabulary cut down to
 * what the expected ids need, and loads the full one only for a name that passes.
 *
 * Why the cut is safe in one direction: BPE applies, at each step, the lowest-ranked merge
 * among adjacent pairs. Keeping every merge whose result and parts are tokens of the
 * expected ids (and every single-character token, so any text encodes) keeps every merge
 * the full vocabulary applies to the right pieces, in the same order, so the right name
 * gives the expected ids on the cut vocabulary too. A wrong name may also pass (a merge that
 * would have crossed its extra boundary is gone), which is why a passing name is confirmed
 * on the full vocabulary.
 */
import type { GgufMetadataInput } from '@llmr/gguf';

export interface ProbeVocabulary {
  metadata: Map<string, GgufMetadataInput>;
  /** Full-vocabulary id -> id in the cut vocabulary. */
  ids: Map<number, number>;
}

const ID_KEYS = [
  'tokenizer.ggml.bos_token_id',
  'tokenizer.ggml.eos_token_id',
  'tokenizer.ggml.padding_token_id',
  'tokenizer.ggml.unknown_token_id',
  'tokenizer.ggml.eot_token_id',
  'tokenizer.ggml.eom_token_id',
  'tokenizer.ggml.sep_token_id',
  'tokenizer.ggml.cls_token_id',
  'tokenizer.ggml.mask_token_id',
];

/** Token type 1 is NORMAL in llama.cpp; the others (control, user-defined, byte) are kept. */
const NORMAL = 1;

/**
 * The cut vocabulary for `expected` ids, or undefined when the metadata is not a byte-level
 * BPE vocabulary this can cut (then the probe uses the full one).
 */
export function createProbeVocabulary(
  metadata: ReadonlyMap<string, GgufMetadataInput>,
  expected: readonly (readonly number[])[],
): ProbeVocabulary | undefined {
  const tokens = metadata.get('tokenizer.ggml.tokens');
  const merges = metadata.get('tokenizer.ggml.merges');
  const types = metadata.get('tokenizer.ggml.token_type');
  if (!Array.isArray(tokens) || !Array.isArray(merges)) return undefined;
  const typeOf = (id: number) =>
    types && typeof types === 'object' && 'length' in types
      ? Number((types as ArrayLike<number>)[id] ?? NORMAL)
      : NORMAL;
  const idOf = new Map<string, number>();
  (tokens as string[]).forEach((token, id) => {
    idOf.set(token, id);
  });
  // Merge results -> their parts, to close the kept set under "made from".
  const madeFrom = new Map<string, [string, string][]>();
  for (const merge of merges as string[]) {
    const space = merge.indexOf(' ', 1);
    if (space < 0) continue;
    const left = merge.slice(0, space);
    const right = merge.slice(space + 1);
    const result = left + right;
    const list = madeFrom.get(result);
    if (list) list.push([left, right]);
    else madeFrom.set(result, [[left, right]]);
  }
  const kept = new Set<string>();
  const pending: string[] = [];
  const keep = (token: string) => {
    if (kept.has(token) || !idOf.has(token)) return;
    kept.add(token);
    pending.push(token);
  };
  (tokens as string[]).forEach((token, id) => {
    if ([...token].length === 1 || typeOf(id) !== NORMAL) keep(token);
  });
  for (const ids of expected) {
    for (const id of ids) {
      const token = (tokens as string[])[id];
      if (token === undefined) return undefined;
      keep(token);
    }
  }
  while (pending.length > 0) {
    for (const [left, right] of madeFrom.get(pending.pop()!) ?? []) {
      keep(left);
      keep(right);
    }
  }
  const keptIds = [...kept].map((token) => idOf.get(token)!).sort((a, b) => a - b);
  const ids = new Map(keptIds.map((id, index) => [id, index]));
  const cut = new Map(metadata);
  cut.set(
    'tokenizer.ggml.tokens',
    keptIds.map((id) => (tokens as string[])[id]!),
  );
  cut.set('tokenizer.ggml.token_type', Int32Array.from(keptIds, typeOf));
  cut.set(
    'tokenizer.ggml.merges',
    (merges as string[]).filter((merge) => {
      const space = merge.indexOf(' ', 1);
      return (
        space > 0 &&
        kept.has(merge.slice(0, space)) &&
        kept.has(merge.slice(space + 1)) &&
        kept.has(merge.slice(0, space) + merge.slice(space + 1))
      );
    }),
  );
  cut.delete('tokenizer.ggml.scores');
  for (const key of ID_KEYS) {
    const value = metadata.get(key);
    if (typeof value !== 'number') continue;
    const mapped = ids.get(value);
    if (mapped === undefined) cut.delete(key);
    else cut.set(key, mapped);
  }
  return { metadata: cut, ids };
}
