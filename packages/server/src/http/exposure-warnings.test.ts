import { describe, expect, it } from 'vitest';
import { startServer } from '../__fixtures__/test-server';
import { exposureWarnings, isLoopbackHost } from './exposure-warnings';

describe('exposure warnings', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.com'])
      expect(isLoopbackHost(host)).toBe(false);
  });

  it('warns without keys, louder on a non-loopback host, and not at all with keys', () => {
    expect(exposureWarnings({ host: '127.0.0.1', keysEnabled: false })).toHaveLength(1);
    const open = exposureWarnings({ host: '0.0.0.0', keysEnabled: false });
    expect(open).toHaveLength(2);
    expect(open[1]).toMatch(/0\.0\.0\.0.*WITHOUT API keys/);
    expect(exposureWarnings({ host: '0.0.0.0', keysEnabled: true })).toEqual([]);
  });

  it('logs the warning when a server without keys starts listening', async () => {
    const logs: string[] = [];
    await startServer({
      apiKeys: [],
      logger: { stream: { write: (line: string) => logs.push(line) } },
    });
    const warning = logs.map((line) => JSON.parse(line)).find((entry) => entry.level === 40);
    expect(warning?.msg).toMatch(/NO API keys/);
  });
});
