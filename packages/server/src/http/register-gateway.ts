/**
 * The gateway (`@llmr/gateway`, an optional peer) in the server: it replaces the plain API
 * keys, and registers before every route so that its onRequest hook authenticates before
 * any body is read.
 */
import { InvalidArgumentError } from '@llmr/core';
import type { Gateway } from '@llmr/gateway';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerBackend } from '../backend';
import { createGatewayMeter, type GatewayMeter, generationUsage } from '../gateway-meter';
import type { Generation } from '../generation';
import type { SharedState } from '../shared-state/shared-state';

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

/**
 * Registers the gateway's hooks and returns the meter the other transports admit and
 * charge their generations with. With Redis, the gateway's per-minute limits move there,
 * so replicas enforce them together.
 */
export async function registerGateway(
  app: FastifyInstance,
  gateway: Gateway | undefined,
  options: { backend: ServerBackend; sharedState: SharedState },
): Promise<GatewayMeter | undefined> {
  if (!gateway) return undefined;
  if (options.sharedState.status().mode !== 'memory') {
    gateway.shareRateLimits(options.sharedState, (error) =>
      app.log.warn({ err: error }, 'settling a gateway rate-limit window failed'),
    );
  }
  const { gatewayPlugin } = await import('@llmr/gateway');
  await app.register(gatewayPlugin, { gateway });
  return createGatewayMeter({ gateway, backend: options.backend, log: app.log });
}

/**
 * Tells the gateway what the router and the model know: the model that answered, every
 * model tried, and the model's own usage once it arrives (a stream's usage part comes
 * last, so the gateway reads this when the response closes). A stream cut short has no
 * usage: its prompt is counted then, and its output stays what was read off the response.
 */
export function shareUsageWithGateway(
  request: FastifyRequest,
  generation: Pick<Generation, 'routing' | 'observation' | 'callOptions'>,
  backend: ServerBackend,
): void {
  const state = request.gateway;
  if (!state) return;
  state.resolveUsage = async () => {
    const { exact: _exact, outputTokens, ...usage } = await generationUsage(backend, generation);
    return generation.observation.usage ? { ...usage, outputTokens } : usage;
  };
}
