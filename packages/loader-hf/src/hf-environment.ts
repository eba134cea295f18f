/**
 * The settings huggingface_hub reads from the environment, read the same way so that
 * Python and llmr share one cache and one token: HF_ENDPOINT, HF_HOME, HF_HUB_CACHE
 * (and the older HUGGINGFACE_HUB_CACHE), XDG_CACHE_HOME, HF_HUB_OFFLINE, HF_TOKEN (and
 * HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, the `token` file under HF_HOME).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

export interface HfEnvironmentOptions {
  /** Hub URL (default HF_ENDPOINT, then https://huggingface.co). */
  endpoint?: string;
  /** Cache folder (default HF_HUB_CACHE, then $HF_HOME/hub, then ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** Access token (default HF_TOKEN, then the token file huggingface-cli login writes). */
  accessToken?: string;
  /** Use the cache only (default HF_HUB_OFFLINE). */
  offline?: boolean;
}

export interface HfEnvironment {
  endpoint: string;
  cacheDir: string;
  accessToken?: string;
  /** Where the token came from, for messages: `option`, `HF_TOKEN`, a file path. */
  tokenSource?: string;
  offline: boolean;
}

type Env = Record<string, string | undefined>;

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/** huggingface_hub's `_is_true`: 1, ON, YES, TRUE in any case. */
export function isTrueEnv(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.trim().toUpperCase());
}

export function hfHome(env: Env = process.env): string {
  return expandHome(
    nonEmpty(env.HF_HOME) ??
      join(nonEmpty(env.XDG_CACHE_HOME) ?? join(homedir(), '.cache'), 'huggingface'),
  );
}

/** The hub cache folder huggingface_hub would use. */
export function hfCacheDir(env: Env = process.env): string {
  const explicit = nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE);
  return explicit ? expandHome(explicit) : join(hfHome(env), 'hub');
}

function readToken(env: Env): { token: string; source: string } | undefined {
  for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']) {
    const token = nonEmpty(env[name]);
    if (token) return { token, source: name };
  }
  const path = expandHome(nonEmpty(env.HF_TOKEN_PATH) ?? join(hfHome(env), 'token'));
  try {
    const token = nonEmpty(readFileSync(path, 'utf8'));
    if (token) return { token, source: path };
  } catch {
    // No token file: anonymous access.
  }
  return undefined;
}

export function resolveHfEnvironment(
  options: HfEnvironmentOptions = {},
  env: Env = process.env,
): HfEnvironment {
  const endpoint = (options.endpoint ?? nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_HF_ENDPOINT).replace(
    /\/+$/,
    '',
  );
  const token =
    options.accessToken !== undefined
      ? { token: options.accessToken, source: 'the accessToken option' }
      : readToken(env);
  return {
    endpoint,
    cacheDir: options.cacheDir ? expandHome(options.cacheDir) : hfCacheDir(env),
    ...(token?.token ? { accessToken: token.token, tokenSource: token.source } : {}),
    offline: options.offline ?? isTrueEnv(env.HF_HUB_OFFLINE),
  };
}
