import { describe, expect, it } from 'vitest';
import { resolveServeRedis } from './serve-redis';

describe('which Redis llmr serve uses', () => {
  it('takes the flag over the environment over the config file', () => {
    const section = { url: 'redis://config:6379', failMode: 'closed', keyPrefix: 'prod:' };
    expect(
      resolveServeRedis({ flag: 'redis://flag:6379', env: 'redis://env:6379', section }),
    ).toEqual({ url: 'redis://flag:6379', failMode: 'closed', keyPrefix: 'prod:' });
    expect(resolveServeRedis({ env: 'redis://env:6379', section })).toMatchObject({
      url: 'redis://env:6379',
    });
    expect(resolveServeRedis({ section })).toEqual({
      url: 'redis://config:6379',
      failMode: 'closed',
      keyPrefix: 'prod:',
    });
    expect(resolveServeRedis({ section: 'rediss://short:6380' })).toEqual({
      url: 'rediss://short:6380',
    });
    expect(resolveServeRedis({ section, failModeFlag: 'open' })).toMatchObject({
      failMode: 'open',
    });
    expect(resolveServeRedis({})).toBeUndefined();
    expect(resolveServeRedis({ env: '' })).toBeUndefined();
  });

  it('names the field to fix in a bad section, even when a flag would win', () => {
    const check = (section: unknown) => () =>
      resolveServeRedis({ flag: 'redis://flag:6379', section, file: 'llmr.yaml' });
    expect(check('localhost:6379')).toThrow(
      /llmr\.yaml: redis must be a redis:\/\/ or rediss:\/\/ URL/,
    );
    expect(check({ url: 'redis://a:1', failMode: 'sideways' })).toThrow(
      /llmr\.yaml: redis\.failMode must be open or closed; got "sideways"/,
    );
    expect(check({ url: 'redis://a:1', prefix: 'x' })).toThrow(
      /redis\.prefix is not a known field/,
    );
    expect(check({ failMode: 'open' })).toThrow(/redis\.url must be a redis:\/\//);
    expect(check([1])).toThrow(/redis must be a URL or \{ url, failMode, keyPrefix \}/);
    expect(check({ url: 'redis://a:1', keyPrefix: '' })).toThrow(/redis\.keyPrefix must be/);
  });
});
