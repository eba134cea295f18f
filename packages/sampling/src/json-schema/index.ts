/** JSON-schema constrained decoding: the byte automaton, token masks, token bytes. */
export { createJsonConstraint, type JsonConstraint } from './json-constraint';
export {
  compileJsonSchema,
  createJsonSchemaAutomaton,
  type JsonSchemaAutomaton,
  type JsonStack,
  type JsonState,
  MAX_LIVE_STATES,
  MAX_SCHEMA_NODES,
  stateKey,
} from './json-schema-automaton';
export { type NamedTokenizer, type TokenVocabulary, tokenVocabulary } from './token-vocabulary';
