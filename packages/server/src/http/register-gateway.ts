/**
 * The gateway (`@llmr/gateway`, an optional peer) in the server: it replaces the plain API
 * keys, and registers before every route so that its onRequest hook authenticates before
 * any body is read.
 */
import { InvalidArgumentError } from '@llmr/core';
import type { Gateway } from '@llmr/gateway';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Generation } from '../generation';

/** The plain API keys in force: none when a gateway checks keys instead. */
export function plainApiKeys(options: { apiKeys?: string[]; gateway?: Gateway }): string[] {
  if (!options.gateway) return options.apiKeys ?? (process.env.LLMR_API_KEYS ?? '').split(',');
  if (options.apiKeys?.some((key) => key.trim() !== '')) {
    throw new InvalidArgumentError({
      argument: 'apiKeys',
      value: '(hidden)',
      message: 'Give either apiKeys or a gateway, not both: the gateway checks its own keys.',
    });
  }
  return [];
}

export async function registerGateway(
  app: FastifyInstance,
  gateway: Gateway | undefined,
  options: { console?: boolean } = {},
): Promise<void> {
  if (!gateway) return;
  const { defaultScopeFor, gatewayPlugin } = await import('@llmr/gateway');
  // The console's page and assets hold no secret (the page asks for a key and sends it
  // with each API call), and a browser cannot send a bearer key when it navigates to a
  // page: like /docs, they are public. Every API call still needs its scope.
  const scopeFor: typeof defaultScopeFor = options.console
    ? (request) =>
        (request.method === 'GET' || request.method === 'HEAD') &&
        (request.path === '/' || request.path.startsWith('/assets/'))
          ? undefined
          : defaultScopeFor(request)
    : defaultScopeFor;
  await app.register(gatewayPlugin, { gateway, scopeFor });
}

/**
 * Tells the gateway what the router and the model know: the model that answered, every
 * model tried, and the model's own usage once it arrives (a stream's usage part comes
 * last, so the gateway reads this when the response closes).
 */
export function shareUsageWithGateway(
  request: FastifyRequest,
  generation: Pick<Generation, 'routing' | 'observation'>,
): void {
  const state = request.gateway;
  if (!state) return;
  state.resolveUsage = () => {
    const { routing, observation } = generation;
    const tried = (routing.attempts ?? []).map((attempt) => attempt.modelId);
    return {
      model: routing.modelId,
      modelsTried: tried.length > 0 ? tried : undefined,
      inputTokens: observation.usage?.inputTokens,
      outputTokens: observation.usage?.outputTokens,
    };
  };
}
