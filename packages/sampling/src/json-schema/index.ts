/** JSON-schema constrained decoding: the byte automaton, token masks, token bytes. */

export { compileJsonSchema, MAX_SCHEMA_NODES } from './compile-json-schema';
export { createJsonConstraint, type JsonConstraint } from './json-constraint';
export {
  createJsonSchemaAutomaton,
  type JsonSchemaAutomaton,
  type JsonStack,
  type JsonState,
  MAX_LIVE_STATES,
  stateKey,
} from './json-schema-automaton';
export { type NamedTokenizer, type TokenVocabulary, tokenVocabulary } from './token-vocabulary';
