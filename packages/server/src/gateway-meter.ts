/**
 * The gateway's admission and charge for a generation, one path for every transport.
 * REST is admitted by the gateway's own Fastify hooks (the model is in the body) and
 * charged when the response closes; WebSocket and GraphQL carry many generations over one
 * authenticated connection, and gRPC authenticates on its own, so they admit each
 * generation here and the generation core settles it when it ends. Both are
 * `Gateway.admit` then `Admission.finish`, with usage from `generationUsage`: the model's
 * own counts, or for a generation cut short, its prompt counted and the text it got.
 */
import { LlmrError, type ModelV1CallOptions } from '@llmr/core';
import type { Gateway, GatewayUsageUpdate, Principal, Scope } from '@llmr/gateway';
import type { RoutingInfo, ServerBackend } from './backend';
import type { StreamObservation } from './observe-stream';
import { type OpenAIError, openAIError } from './openai/errors';
import { estimateReservation } from './reservation-estimate';

/** What the generation core knows when a generation ends. */
export interface GenerationEnd {
  status: number;
  /** Absent when the generation never reached a model (unknown model, invalid options). */
  routing?: RoutingInfo;
  observation?: StreamObservation;
  callOptions?: ModelV1CallOptions;
}

/** One admitted generation's charge; the generation core settles it once, when it ends. */
export interface GenerationMeter {
  settle(end: GenerationEnd): void;
}

export type MeterResult =
  | { refused: OpenAIError; meter?: undefined }
  | { refused?: undefined; meter: GenerationMeter };

export type AuthenticateResult =
  | { refused: OpenAIError; principal?: undefined }
  | { refused?: undefined; principal: Principal };

export interface GatewayMeter {
  /** The caller behind a key with `scope`, for transports that authenticate themselves (gRPC). */
  authenticate(presented: string | undefined, scope: Scope): Promise<AuthenticateResult>;
  /** Model allowed, rate limits and hard budgets of key and tenant; refusals are audited. */
  admit(
    principal: Principal,
    request: { model: string; route: string; clientIp: string; requestId: string },
  ): Promise<MeterResult>;
}

/** Prompt tokens of a generation that ended without the model's usage. */
async function countPrompt(
  backend: ServerBackend,
  modelId: string,
  callOptions: ModelV1CallOptions,
): Promise<number> {
  if (backend.countTokens) {
    try {
      return (await backend.countTokens(modelId, callOptions)).inputTokens;
    } catch {
      // The model went away since; fall back to the estimate.
    }
  }
  return estimateReservation({ messages: callOptions.messages, prompt: callOptions.prompt });
}

/** Usage as the gateway charges it (fields left undefined are not known here). */
export async function generationUsage(
  backend: ServerBackend,
  end: Omit<GenerationEnd, 'status'>,
): Promise<GatewayUsageUpdate & { exact: boolean }> {
  const { routing, observation, callOptions } = end;
  const tried = (routing?.attempts ?? []).map((attempt) => attempt.modelId);
  const update = {
    model: routing?.modelId,
    modelsTried: tried.length > 0 ? tried : undefined,
  };
  if (observation?.usage)
    return {
      ...update,
      inputTokens: observation.usage.inputTokens,
      outputTokens: observation.usage.outputTokens,
      exact: true,
    };
  // Cut short (client gone, cancelled, deadline) or failed mid-stream: the prompt was
  // read in full before the first token, so it is charged, with the text generated.
  const started = routing !== undefined && callOptions !== undefined;
  return {
    ...update,
    inputTokens: started ? await countPrompt(backend, routing.modelId, callOptions) : 0,
    outputTokens: observation?.textDeltas,
    exact: false,
  };
}

export async function createGatewayMeter(options: {
  gateway: Gateway;
  backend: ServerBackend;
  log: { error(object: unknown, message: string): void };
}): Promise<GatewayMeter> {
  const { gateway, backend, log } = options;
  const { errorBody, errorStatus, GatewayError } = await import('@llmr/gateway');

  const refusal = (error: unknown): OpenAIError => {
    if (LlmrError.isInstance(error) && error.code === 'shared-state-unavailable') {
      return {
        ...openAIError(503, error.message, 'server_error', 'rate_limits_unavailable'),
        headers: { 'retry-after': '1' },
      };
    }
    const status = errorStatus(error);
    if (status === 500) log.error({ err: error }, 'gateway failed');
    const retryAfter = GatewayError.isInstance(error) ? error.retryAfterSeconds : undefined;
    return {
      status,
      body: errorBody(error),
      ...(retryAfter === undefined ? {} : { headers: { 'retry-after': String(retryAfter) } }),
    };
  };

  return {
    async authenticate(presented, scope) {
      try {
        const principal = await gateway.authenticate(presented);
        gateway.authorize(principal, scope);
        return { principal };
      } catch (error) {
        return { refused: refusal(error) };
      }
    },
    async admit(principal, request) {
      let admission: Awaited<ReturnType<Gateway['admit']>>;
      try {
        admission = await gateway.admit(principal, {
          model: request.model,
          route: request.route,
          clientIp: request.clientIp,
          onAuditError: (error) => log.error({ err: error }, 'gateway audit write failed'),
        });
      } catch (error) {
        return { refused: refusal(error) };
      }
      let settled = false;
      return {
        meter: {
          settle(end) {
            if (settled) return;
            settled = true;
            const charge = async () => {
              const usage = await generationUsage(backend, end);
              await admission.finish({
                model: usage.model ?? request.model,
                ...(usage.modelsTried ? { modelsTried: usage.modelsTried } : {}),
                inputTokens: usage.inputTokens ?? 0,
                outputTokens: usage.outputTokens ?? 0,
                status: end.status,
                details: { requestId: request.requestId, exactUsage: usage.exact },
              });
            };
            charge().catch((error: unknown) =>
              log.error({ err: error }, 'gateway usage write failed'),
            );
          },
        },
      };
    },
  };
}
