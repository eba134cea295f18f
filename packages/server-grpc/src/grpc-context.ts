/**
 * What the gRPC server shares with the REST server: the backend, the one generation core
 * (in-flight list, metrics, usage charging), the access rules (the same API keys, rate
 * limits and draining) and, with a gateway, its meter (the same keys, scopes, model globs,
 * limits, budgets and charging). Plus how a call becomes a caller for those rules.
 */
import { randomUUID } from 'node:crypto';
import type { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type {
  Access,
  Admission,
  GatewayMeter,
  GenerationCore,
  GenerationMeter,
  ServerBackend,
} from '@llmr/server';
import type { GrpcCallObserver } from './grpc-call-observer';
import type { HttpRefusal } from './grpc-errors';

/** A call of either kind the services have (unary, server-streaming). */
export type ServerSurfaceCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerWritableStream<unknown, unknown>;

export interface GrpcContext {
  backend: ServerBackend;
  core: GenerationCore;
  access: Access;
  /** With a gateway: its keys replace the API keys, and each generation is metered. */
  gateway?: GatewayMeter | undefined;
  /** Wraps each generating call (spans, SLOs); read per call, so it can be set late. */
  observer?: (() => GrpcCallObserver | undefined) | undefined;
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

/** Credentials stay out of what observers see. */
const PRIVATE_METADATA = new Set(['authorization', 'x-api-key']);

/** The call's text metadata, first value per key, credentials left out. */
export function textMetadataOf(call: ServerSurfaceCall): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.metadata.getMap()))
    if (typeof value === 'string' && !PRIVATE_METADATA.has(key)) text[key] = value;
  return text;
}

/** The key a call presents: `authorization: Bearer <key>`, else `x-api-key`. */
function presentedKey(metadata: Metadata): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(firstString(metadata, 'authorization') ?? '');
  return match?.[1] ?? firstString(metadata, 'x-api-key');
}

/** A generating call: what the gateway admits and charges. */
export interface MeteredCall {
  /** The requested model (an id, an alias, or `auto`). */
  model: string;
  /** `grpc.chat`, `grpc.embeddings`, ... */
  route: string;
  requestId: string;
}

/**
 * The caller's rate-limit identity, after the same checks REST makes: open (not draining),
 * `authorization: Bearer <key>` (or `x-api-key`) metadata, and for generating calls, the
 * gateway's admission (model, limits, budgets) and the request limit, in REST's order.
 */
export async function admit(
  context: GrpcContext,
  call: ServerSurfaceCall,
  generating?: MeteredCall,
): Promise<{ client: string; admission?: Admission; meter?: GenerationMeter }> {
  const closed = context.access.open();
  if (closed) throw new RefusalSignal(closed);
  const ip = peerAddress(call);
  const identity = context.access.identify({
    ip,
    headers: {
      authorization: firstString(call.metadata, 'authorization'),
      'x-api-key': firstString(call.metadata, 'x-api-key'),
    },
  });
  if (identity.refused) throw new RefusalSignal(identity.refused);
  let meter: GenerationMeter | undefined;
  if (context.gateway) {
    const { refused, principal } = await context.gateway.authenticate(
      presentedKey(call.metadata),
      'inference',
    );
    if (refused) throw new RefusalSignal(refused);
    if (generating) {
      const metered = await context.gateway.admit(principal, { ...generating, clientIp: ip });
      if (metered.refused) throw new RefusalSignal(metered.refused);
      meter = metered.meter;
    }
  }
  if (!generating) return { client: identity.client };
  // Counted like REST: a request now, its tokens settled to the real usage at the end.
  const { refused, admission } = await context.access.admit(identity.client);
  if (refused) {
    meter?.settle({ status: refused.status });
    throw new RefusalSignal(refused);
  }
  return { client: identity.client, admission, ...(meter ? { meter } : {}) };
}
