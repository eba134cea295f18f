/**
 * Constrained decoding for one request: at each step, the mask of tokens whose bytes
 * keep the JSON text acceptable to the schema automaton, and EOS only where the document
 * may end. Candidate tokens are checked through a byte trie of the vocabulary, so a
 * dead prefix rules out every token that starts with it at once; masks are cached by
 * automaton state, which repeats a lot (inside strings, between properties).
 */
import type { JSONSchema } from '@llmr/core';
import {
  createJsonSchemaAutomaton,
  type JsonSchemaAutomaton,
  type JsonState,
  stateKey,
} from './json-schema-automaton';
import type { TokenVocabulary } from './token-vocabulary';

interface TrieNode {
  children: Map<number, TrieNode>;
  tokens: number[];
}

const tries = new WeakMap<TokenVocabulary, TrieNode>();

function trieOf(vocabulary: TokenVocabulary): TrieNode {
  let root = tries.get(vocabulary);
  if (root) return root;
  root = { children: new Map(), tokens: [] };
  vocabulary.bytes.forEach((bytes, token) => {
    if (!bytes || bytes.length === 0) return;
    let node = root!;
    for (const value of bytes) {
      let child = node.children.get(value);
      if (!child) {
        child = { children: new Map(), tokens: [] };
        node.children.set(value, child);
      }
      node = child;
    }
    node.tokens.push(token);
  });
  tries.set(vocabulary, root);
  return root;
}

const MASK_CACHE_SIZE = 256;

export interface JsonConstraint {
  /** Allowed tokens now (1 = allowed). */
  mask(): Uint8Array;
  /** Advances past a chosen token. Returns false when the token is not allowed. */
  accept(token: number): boolean;
  /** The document is complete and nothing more can follow: generation should stop. */
  readonly finished: boolean;
}

export function createJsonConstraint(options: {
  schema?: JSONSchema;
  vocabulary: TokenVocabulary;
  /** End-of-sequence ids, allowed once the document may end. */
  eos: readonly number[];
  vocabularySize: number;
}): JsonConstraint {
  const automaton: JsonSchemaAutomaton = createJsonSchemaAutomaton(options.schema ?? {});
  const trie = trieOf(options.vocabulary);
  const cache = new Map<string, Uint8Array>();
  let states: JsonState[] = automaton.initial();

  const compute = (): Uint8Array => {
    const mask = new Uint8Array(options.vocabularySize);
    const visit = (node: TrieNode, current: JsonState[]) => {
      for (const [value, child] of node.children) {
        const next = automaton.advanceByte(current, value);
        if (next.length === 0) continue;
        for (const token of child.tokens) if (token < mask.length) mask[token] = 1;
        if (child.children.size > 0) visit(child, next);
      }
    };
    visit(trie, states);
    if (automaton.canEnd(states))
      for (const token of options.eos) if (token < mask.length) mask[token] = 1;
    return mask;
  };

  return {
    mask() {
      const key = states.map(stateKey).join('\u0001');
      let mask = cache.get(key);
      if (!mask) {
        mask = compute();
        if (cache.size >= MASK_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(key, mask);
      }
      return mask;
    },
    accept(token) {
      if (options.eos.includes(token)) return automaton.canEnd(states);
      const bytes = options.vocabulary.bytes[token];
      if (!bytes) return false;
      const next = automaton.advance(states, bytes);
      if (next.length === 0) return false;
      states = next;
      return true;
    },
    get finished() {
      return automaton.isFinished(states);
    },
  };
}
