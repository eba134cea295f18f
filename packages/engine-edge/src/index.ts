/**
 * @llmr/engine-edge — @llmr/runtime-simple on edge and alternative JavaScript runtimes:
 * a web-standard fetch handler streaming tokens as SSE, a Cloudflare Workers / workerd
 * module worker, and a listener for Deno and Bun.
 */
export {
  describeEdgeEngine,
  EDGE_ENGINE_NAME,
  edgeEngineRow,
} from './edge-engine-row';
export { createEdgeHandler, type EdgeHandler, type EdgeHandlerSettings } from './edge-handler';
export { type EdgeServer, type ServeEdgeOptions, serveEdge } from './serve-edge';
export { createEdgeWorker, type EdgeWorkerEnv, type EdgeWorkerOptions } from './workerd-worker';
