/** One place that turns anything a handler throws into the status the client gets. */
import type { ServiceError } from '@grpc/grpc-js';
import { RefusalSignal } from './grpc-context';
import { grpcErrorFromRefusal, toGrpcError } from './grpc-errors';

export function statusOf(error: unknown): ServiceError {
  return error instanceof RefusalSignal ? grpcErrorFromRefusal(error.refusal) : toGrpcError(error);
}
