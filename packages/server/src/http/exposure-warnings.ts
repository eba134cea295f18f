/**
 * What an operator must hear when the server starts open: no API keys means anyone who
 * can reach the port can run the models; on a non-loopback interface that is the network.
 */
import { isIP } from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** The warnings to log at listen time (none when keys are configured). */
export function exposureWarnings(options: { host: string; keysEnabled: boolean }): string[] {
  if (options.keysEnabled) return [];
  const warnings = [
    'Serving with NO API keys: every client that can reach this server may use its models. Set --api-key or LLMR_API_KEYS to require a key.',
  ];
  if (!isLoopbackHost(options.host))
    warnings.push(
      `Listening on ${options.host}, which is reachable from other machines, WITHOUT API keys. Anyone on the network can run generations here. Set --api-key / LLMR_API_KEYS, or bind to 127.0.0.1.`,
    );
  return warnings;
}
