/**
 * @llmr/binary-io/testing — test helpers for packages that read binary formats: a local HTTP
 * server that answers (or ignores) Range requests, and bit-flip corruption of known-good files.
 * Node only.
 */
export {
  type BitFlip,
  type CheckBitFlipsOptions,
  checkBitFlips,
  flipBits,
} from './hostile-bytes';
export { type RangeServer, startRangeServer } from './range-server';
