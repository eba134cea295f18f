/**
 * @llmr/loader-mock — a deterministic model with no neural network, for tests, demos
 * and failure drills (latency, errors after N tokens, hangs, load failures).
 */
export { BOS, createByteTokenizer, EOS, renderChat } from './byte-tokenizer';
export {
  createMockLoader,
  type MockLoaderSettings,
  mockLoader,
  parseMockSource,
} from './mock-loader';
export {
  createMockModel,
  MOCK_MODES,
  type MockMode,
  type MockModelSettings,
  type MockReply,
} from './mock-model';
