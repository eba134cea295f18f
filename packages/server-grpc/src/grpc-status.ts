/** One place that turns anything a handler throws into the status the client gets. */
import type { ServiceError } from '@grpc/grpc-js';
import { toOpenAIError } from '@llmr/server';
import { RefusalSignal } from './grpc-context';
import { grpcErrorFromRefusal, toGrpcError } from './grpc-errors';

export function statusOf(error: unknown): ServiceError {
  return error instanceof RefusalSignal ? grpcErrorFromRefusal(error.refusal) : toGrpcError(error);
}

/** The HTTP status REST would have answered for the same failure (for SLOs and spans). */
export function httpStatusOf(error: unknown): number {
  return error instanceof RefusalSignal ? error.refusal.status : toOpenAIError(error).status;
}
