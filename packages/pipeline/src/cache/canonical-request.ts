/**
 * The cache's view of a request: the model id plus the call options as canonical JSON
 * (keys sorted, undefined dropped, the AbortSignal left out), and its SHA-256.
 */
import type { ModelV1CallOptions } from '@llmr/core';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

export function canonicalRequest(modelId: string, options: ModelV1CallOptions): string {
  const { abortSignal: _signal, ...rest } = options;
  return canonicalJson({ modelId, options: rest });
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
