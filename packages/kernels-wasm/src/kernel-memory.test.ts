import { describe, expect, it } from 'vitest';
import { KernelMemory, KernelOutOfMemoryError } from './kernel-memory';
import { arrayBufferMemory } from './typescript-kernels';

describe('the kernel memory allocator', () => {
  it('aligns to 16 bytes, reuses freed blocks and coalesces neighbours', () => {
    const memory = new KernelMemory(arrayBufferMemory(256), 8);
    const a = memory.alloc(10);
    const b = memory.alloc(40);
    const c = memory.alloc(16);
    expect([a, b, c].map((pointer) => pointer % 16)).toEqual([0, 0, 0]);
    expect(b).toBeGreaterThanOrEqual(a + 16);
    memory.free(a);
    memory.free(b);
    // a and b merged: a 50-byte block fits where they were.
    expect(memory.alloc(50)).toBe(a);
    expect(memory.stats.allocatedBytes).toBe(64 + 16);
    expect(memory.stats.peakBytes).toBe(16 + 48 + 16);
  });

  it('grows the memory and keeps contents; views taken after growth see them', () => {
    const memory = new KernelMemory(arrayBufferMemory(64), 0);
    const first = memory.alloc(16);
    memory.f32(first, 4).set([1, 2, 3, 4]);
    const big = memory.alloc(1 << 16);
    expect(memory.stats.capacityBytes).toBeGreaterThanOrEqual((1 << 16) + 16);
    expect(Array.from(memory.f32(first, 4))).toEqual([1, 2, 3, 4]);
    memory.free(big);
    expect(memory.stats.allocatedBytes).toBe(16);
  });

  it('refuses a double free and an allocation beyond the maximum with clear errors', () => {
    const memory = new KernelMemory({ ...arrayBufferMemory(64), maxBytes: 1024 }, 0);
    const pointer = memory.alloc(16);
    memory.free(pointer);
    expect(() => memory.free(pointer)).toThrow(/not a live kernel allocation/);
    const error = (() => {
      try {
        memory.alloc(4096);
      } catch (caught) {
        return caught;
      }
    })();
    expect(KernelOutOfMemoryError.isInstance(error)).toBe(true);
    expect((error as KernelOutOfMemoryError).code).toBe('kernels-out-of-memory');
  });
});
