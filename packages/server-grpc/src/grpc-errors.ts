/**
 * Failures as gRPC statuses. The REST mapping (`toOpenAIError`) decides the HTTP status and
 * llmr's code once; this turns that into a gRPC code and a `google.rpc.Status` in the
 * `grpc-status-details-bin` trailer with ErrorInfo (the code), RetryInfo (Retry-After) and
 * BadRequest (the field), which gRPC clients in every language know how to read.
 */
import { join } from 'node:path';
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { toOpenAIError } from '@llmr/server';
import protobuf from 'protobufjs';
import { protoRoot } from './proto-files';

/** The OpenAI-shaped refusal the server's access rules and error mapping produce. */
export interface HttpRefusal {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: string | null } };
  headers?: Record<string, string>;
}

export const ERROR_DOMAIN = 'llmr.dev';

const GRPC_CODE_BY_HTTP_STATUS: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  // A spent budget is a quota, as gRPC's own guidance files it.
  402: status.RESOURCE_EXHAUSTED,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  409: status.ABORTED,
  413: status.INVALID_ARGUMENT,
  415: status.INVALID_ARGUMENT,
  429: status.RESOURCE_EXHAUSTED,
  499: status.CANCELLED,
  501: status.UNIMPLEMENTED,
  502: status.UNAVAILABLE,
  503: status.UNAVAILABLE,
  504: status.DEADLINE_EXCEEDED,
};

export function grpcCodeOf(httpStatus: number): status {
  return (
    GRPC_CODE_BY_HTTP_STATUS[httpStatus] ?? (httpStatus >= 500 ? status.INTERNAL : status.UNKNOWN)
  );
}

let types:
  | {
      Status: protobuf.Type;
      ErrorInfo: protobuf.Type;
      RetryInfo: protobuf.Type;
      BadRequest: protobuf.Type;
    }
  | undefined;

function detailTypes() {
  if (!types) {
    const root = new protobuf.Root();
    const base = protoRoot();
    // google/protobuf/{any,duration}.proto are built into protobufjs.
    root.resolvePath = (_origin, target) =>
      target.startsWith('google/protobuf/') ? target : join(base, target);
    root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], {
      keepCase: true,
    });
    types = {
      Status: root.lookupType('google.rpc.Status'),
      ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
      RetryInfo: root.lookupType('google.rpc.RetryInfo'),
      BadRequest: root.lookupType('google.rpc.BadRequest'),
    };
  }
  return types;
}

function any(type: protobuf.Type, value: Record<string, unknown>) {
  return {
    type_url: `type.googleapis.com/${type.fullName.replace(/^\./, '')}`,
    value: type.encode(type.fromObject(value)).finish(),
  };
}

/** A refusal (auth, rate limit, validation) as a gRPC error with details. */
export function grpcErrorFromRefusal(refusal: HttpRefusal): ServiceError {
  const { Status, ErrorInfo, RetryInfo, BadRequest } = detailTypes();
  const code = grpcCodeOf(refusal.status);
  const { message, param, type } = refusal.body.error;
  const reason = refusal.body.error.code ?? type;
  const details = [
    any(ErrorInfo, {
      reason,
      domain: ERROR_DOMAIN,
      metadata: { http_status: String(refusal.status), type, ...(param ? { param } : {}) },
    }),
  ];
  const retryAfter = Number(refusal.headers?.['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0)
    details.push(any(RetryInfo, { retry_delay: { seconds: Math.ceil(retryAfter), nanos: 0 } }));
  if (code === status.INVALID_ARGUMENT && param)
    details.push(any(BadRequest, { field_violations: [{ field: param, description: message }] }));
  const metadata = new Metadata();
  metadata.set(
    'grpc-status-details-bin',
    Buffer.from(Status.encode(Status.fromObject({ code, message, details })).finish()),
  );
  metadata.set('llmr-error-code', reason);
  if (refusal.headers?.['retry-after']) metadata.set('retry-after', refusal.headers['retry-after']);
  return Object.assign(new Error(message), { code, details: message, metadata });
}

/** Any failure (an LlmrError, a validation error, a bug) as a gRPC error with details. */
export function toGrpcError(error: unknown): ServiceError {
  return grpcErrorFromRefusal(toOpenAIError(error));
}

export interface GrpcErrorDetails {
  code: number;
  message: string;
  /** llmr's error code (`model_not_found`, `rate_limit_exceeded`, ...). */
  reason?: string;
  metadata?: Record<string, string>;
  /** Seconds to wait before retrying, when the server said. */
  retryDelaySeconds?: number;
  fieldViolations?: { field: string; description: string }[];
}

/**
 * Reads the `grpc-status-details-bin` trailer of a failed call (for Node clients; other
 * languages have their own google.rpc.Status readers). Undefined when there is none.
 */
export function readErrorDetails(metadata: Metadata | undefined): GrpcErrorDetails | undefined {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (!Buffer.isBuffer(raw)) return undefined;
  const { Status, ErrorInfo, RetryInfo, BadRequest } = detailTypes();
  const decoded = Status.toObject(Status.decode(raw), { longs: Number }) as {
    code?: number;
    message?: string;
    details?: { type_url: string; value: Uint8Array }[];
  };
  const result: GrpcErrorDetails = { code: decoded.code ?? 0, message: decoded.message ?? '' };
  for (const detail of decoded.details ?? []) {
    const name = detail.type_url.slice(detail.type_url.lastIndexOf('/') + 1);
    if (name === 'google.rpc.ErrorInfo') {
      const info = ErrorInfo.toObject(ErrorInfo.decode(detail.value)) as {
        reason: string;
        metadata?: Record<string, string>;
      };
      result.reason = info.reason;
      result.metadata = info.metadata ?? {};
    } else if (name === 'google.rpc.RetryInfo') {
      const info = RetryInfo.toObject(RetryInfo.decode(detail.value), { longs: Number }) as {
        retry_delay?: { seconds?: number; nanos?: number };
      };
      result.retryDelaySeconds =
        (info.retry_delay?.seconds ?? 0) + (info.retry_delay?.nanos ?? 0) / 1e9;
    } else if (name === 'google.rpc.BadRequest') {
      const info = BadRequest.toObject(BadRequest.decode(detail.value)) as {
        field_violations?: { field: string; description: string }[];
      };
      result.fieldViolations = info.field_violations ?? [];
    }
  }
  return result;
}
