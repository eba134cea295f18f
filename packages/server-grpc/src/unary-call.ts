/** A unary handler as a promise: its value answers, anything it throws becomes a status. */
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { statusOf } from './grpc-status';

export function unary<Request>(
  handler: (call: ServerUnaryCall<Request, unknown>) => Promise<unknown>,
) {
  return (call: ServerUnaryCall<Request, unknown>, callback: sendUnaryData<unknown>) => {
    Promise.resolve()
      .then(() => handler(call))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(statusOf(error)),
      );
  };
}
