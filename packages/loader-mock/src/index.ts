/**
 * @llmr/loader-mock — a deterministic model with no neural network, for tests, demos
 * and failure drills (latency, errors after N tokens, hangs, load failures).
 */
export { BOS, EOS, createByteTokenizer, renderChat } from './byte-tokenizer';
export { createMockLoader, type MockLoaderSettings, mockLoader, parseMockSource } from './mock-loader';
export { MOCK_MODES, type MockMode, type MockModelSettings, type MockReply, createMockModel } from './mock-model';
