/**
 * @llmr/loader-hf/testing — a test double of the Hugging Face hub (a local node:http
 * server) for testing code that pulls `hf:` models without the network.
 */
export {
  createHubTestServer,
  type HubTestFault,
  type HubTestFileInfo,
  type HubTestFiles,
  type HubTestRepo,
  type HubTestRequest,
  type HubTestServer,
  type HubTestServerOptions,
} from './hub-test-server';
