import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics';

describe('server metrics', () => {
  it('exposes cache hits as a counter that follows the backend’s running count', async () => {
    let cacheHits = 3;
    const metrics = createMetrics(() => ({ cacheHits, circuits: {} }));
    let exposition = await metrics.registry.metrics();
    expect(exposition).toContain('# TYPE llmr_cache_hits_total counter');
    expect(exposition).toMatch(/^llmr_cache_hits_total 3$/m);
    cacheHits = 5;
    exposition = await metrics.registry.metrics();
    expect(exposition).toMatch(/^llmr_cache_hits_total 5$/m);
  });
});
