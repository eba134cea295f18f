/**
 * What the gRPC server shares with the REST server: the backend, the one generation core
 * (in-flight list, metrics, usage charging) and the access rules (the same API keys, rate
 * limits and draining). Plus how a call becomes a caller for those rules.
 */
import { randomUUID } from 'node:crypto';
import type { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type { Access, GenerationCore, ServerBackend } from '@llmr/server';
import type { HttpRefusal } from './grpc-errors';

/** A call of either kind the services have (unary, server-streaming). */
export type ServerSurfaceCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerWritableStream<unknown, unknown>;

export interface GrpcContext {
  backend: ServerBackend;
  core: GenerationCore;
  access: Access;
}

/** A refusal travels as a thrown value until the handler turns it into a status. */
export class RefusalSignal {
  constructor(readonly refusal: HttpRefusal) {}
}

function firstString(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** The peer's address without its port (`ipv4:127.0.0.1:5000` -> `127.0.0.1`). */
function peerAddress(call: ServerSurfaceCall): string {
  const peer = call.getPeer();
  const address = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[(.+)\]:\d+$/.exec(address);
  if (bracketed) return bracketed[1]!;
  return address.replace(/:\d+$/, '');
}

/** The request id: the client's `x-request-id` when it sent one, else a new UUID. */
export function requestIdOf(call: ServerSurfaceCall): string {
  const sent = firstString(call.metadata, 'x-request-id');
  return sent && sent.length <= 256 ? sent : randomUUID();
}

/**
 * The caller's rate-limit identity, after the same checks REST makes: open (not draining),
 * `authorization: Bearer <key>` (or `x-api-key`) metadata, and for generating calls, the
 * request limit.
 */
export function admit(context: GrpcContext, call: ServerSurfaceCall, counts: boolean): string {
  const closed = context.access.open();
  if (closed) throw new RefusalSignal(closed);
  const identity = context.access.identify({
    ip: peerAddress(call),
    headers: {
      authorization: firstString(call.metadata, 'authorization'),
      'x-api-key': firstString(call.metadata, 'x-api-key'),
    },
  });
  if (identity.refused) throw new RefusalSignal(identity.refused);
  if (counts) {
    const refused = context.access.admit(identity.client);
    if (refused) throw new RefusalSignal(refused);
  }
  return identity.client;
}
