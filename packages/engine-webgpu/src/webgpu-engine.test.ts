/**
 * In Node there is no WebGPU: the engine must say so, not fail later. The conformance
 * kit runs against it in a real browser (see browser.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createWebGpuEngine, webGpuEngine } from './webgpu-engine';

describe('engine-webgpu outside a browser', () => {
  it('is unavailable and says why', async () => {
    expect(webGpuEngine.capabilities.device).toBe('gpu');
    expect(await webGpuEngine.isAvailable()).toBe(false);
    expect(await createWebGpuEngine().describeAvailability()).toEqual({
      available: false,
      reason: 'navigator.gpu is missing (no WebGPU here)',
    });
  });
});
