/**
 * @llmr/server-grpc — llmr's gRPC API (proto package `llmr.v1`) next to the REST server,
 * sharing its backend, generation core and access rules.
 */
export {
  createGrpcServer,
  type GrpcServerOptions,
  type LlmrGrpcServer,
} from './create-grpc-server';
export {
  GRPC_CALL_OBSERVER,
  type GrpcCallInfo,
  type GrpcCallObserver,
  type GrpcCallOutcome,
  grpcCallObserverOf,
  setGrpcCallObserver,
} from './grpc-call-observer';
export type { GrpcContext } from './grpc-context';
export { ERROR_DOMAIN, type GrpcErrorDetails, grpcCodeOf, readErrorDetails } from './grpc-errors';
export { LLMR_PROTO_FILES, LLMR_SERVICES, protoRoot } from './proto-files';
