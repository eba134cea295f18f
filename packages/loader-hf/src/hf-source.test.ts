import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { resolveHfEnvironment } from './hf-environment';
import { formatHfSource, isHfSource, parseHfSource } from './hf-source';
import { parseRetryAfter } from './hub-fetch';

describe('parseHfSource', () => {
  it.each([
    ['hf:org/repo', { repo: 'org/repo' }],
    ['hf://org/repo', { repo: 'org/repo' }],
    ['hf:org/repo:Q4_K_M', { repo: 'org/repo', selector: 'Q4_K_M' }],
    ['hf:org/repo:q4', { repo: 'org/repo', selector: 'q4' }],
    ['hf:org/repo@v1.0', { repo: 'org/repo', revision: 'v1.0' }],
    ['hf:org/repo@refs%2Fpr%2F3', { repo: 'org/repo', revision: 'refs/pr/3' }],
    ['hf:org/repo/onnx/model_q4.onnx', { repo: 'org/repo', path: 'onnx/model_q4.onnx' }],
    [
      'hf:Qwen/Qwen3-0.6B-GGUF@main/sub/dir:UD-Q4_K_XL',
      { repo: 'Qwen/Qwen3-0.6B-GGUF', revision: 'main', path: 'sub/dir', selector: 'UD-Q4_K_XL' },
    ],
  ])('%s', (source, expected) => {
    expect(parseHfSource(source)).toEqual(expected);
  });

  it.each([
    'hf:',
    'hf:repo-without-org',
    'hf:org/re po',
    'hf:org/repo/../etc/passwd',
    'hf:org--x/repo',
    'hf:org/repo@',
    'hf:org/repo:Q4/x',
    'org/repo',
  ])('rejects %s with the accepted forms', (source) => {
    let error: unknown;
    try {
      parseHfSource(source);
    } catch (caught) {
      error = caught;
    }
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('Write hf:org/repo');
  });

  it('formats back to a canonical source', () => {
    for (const source of [
      'hf:org/repo',
      'hf:org/repo@v1/a/b.gguf',
      'hf:org/repo:Q8_0',
      'hf:o/r@refs%2Fpr%2F1',
    ])
      expect(formatHfSource(parseHfSource(source))).toBe(source);
    expect(isHfSource('hf:x/y')).toBe(true);
    expect(isHfSource('https://huggingface.co/x/y')).toBe(false);
  });
});

describe('the environment, read like huggingface_hub', () => {
  it('finds the cache under HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME or ~/.cache', () => {
    expect(resolveHfEnvironment({}, { HF_HUB_CACHE: '/a', HF_HOME: '/b' }).cacheDir).toBe('/a');
    expect(resolveHfEnvironment({}, { HUGGINGFACE_HUB_CACHE: '/old' }).cacheDir).toBe('/old');
    expect(resolveHfEnvironment({}, { HF_HOME: '/b' }).cacheDir).toBe('/b/hub');
    expect(resolveHfEnvironment({}, { XDG_CACHE_HOME: '/x' }).cacheDir).toBe('/x/huggingface/hub');
    expect(resolveHfEnvironment({}, {}).cacheDir).toMatch(/\.cache\/huggingface\/hub$/);
    expect(resolveHfEnvironment({ cacheDir: '/opt' }, { HF_HUB_CACHE: '/a' }).cacheDir).toBe(
      '/opt',
    );
  });

  it('reads HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE; options win', () => {
    const env = {
      HF_ENDPOINT: 'http://127.0.0.1:1/',
      HF_TOKEN: 'hf_x',
      HF_HUB_OFFLINE: 'yes',
      HF_HOME: '/nowhere',
    };
    expect(resolveHfEnvironment({}, env)).toMatchObject({
      endpoint: 'http://127.0.0.1:1',
      accessToken: 'hf_x',
      tokenSource: 'HF_TOKEN',
      offline: true,
    });
    expect(resolveHfEnvironment({}, { HF_HUB_OFFLINE: '0', HF_HOME: '/nowhere' })).toMatchObject({
      endpoint: 'https://huggingface.co',
      offline: false,
    });
    expect(resolveHfEnvironment({}, { HF_HOME: '/nowhere' }).accessToken).toBeUndefined();
    expect(resolveHfEnvironment({ offline: false, accessToken: 'hf_y' }, env)).toMatchObject({
      offline: false,
      accessToken: 'hf_y',
    });
  });

  it('reads the token file huggingface-cli login writes', async () => {
    const home = await mkdtemp(join(tmpdir(), 'llmr-hf-home-'));
    try {
      await writeFile(join(home, 'token'), 'hf_from_file\n');
      expect(resolveHfEnvironment({}, { HF_HOME: home })).toMatchObject({
        accessToken: 'hf_from_file',
        tokenSource: join(home, 'token'),
      });
      expect(resolveHfEnvironment({}, { HF_HOME: home, HF_TOKEN: 'hf_env' }).accessToken).toBe(
        'hf_env',
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(
      parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z')),
    ).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
