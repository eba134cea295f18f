/**
 * The gateway (`@llmr/gateway`, an optional peer) in the server: it replaces the plain API
 * keys, and registers before every route so that its onRequest hook authenticates before
 * any body is read.
 */
import { InvalidArgumentError } from '@llmr/core';
import type { Gateway } from '@llmr/gateway';
import type { FastifyInstance } from 'fastify';

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
): Promise<void> {
  if (!gateway) return;
  const { gatewayPlugin } = await import('@llmr/gateway');
  await app.register(gatewayPlugin, { gateway });
}
