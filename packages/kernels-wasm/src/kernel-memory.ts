/**
 * A small allocator over one growable linear memory (a WebAssembly.Memory, or a plain
 * ArrayBuffer for the TypeScript kernels): kernels take byte offsets into it, so weights,
 * caches and scratch live in one place and the WASM code reads them without copies.
 * First fit over an address-ordered free list with coalescing; 16-byte alignment for
 * SIMD loads. Views go stale when the memory grows: take them after allocating.
 */
import { LlmrError } from '@llmr/core';

export const KERNEL_ALIGNMENT = 16;

/** The memory an allocator manages: its bytes now, and a way to get more. */
export interface GrowableMemory {
  readonly buffer: ArrayBuffer;
  /** Makes the memory at least `bytes` long, or throws. */
  growTo(bytes: number): void;
  /** The most bytes it can ever hold. */
  readonly maxBytes: number;
}

export interface KernelMemoryStats {
  /** Bytes in live allocations. */
  allocatedBytes: number;
  /** The most bytes ever live at once. */
  peakBytes: number;
  /** The size of the linear memory (what the process actually holds). */
  capacityBytes: number;
}

export class KernelOutOfMemoryError extends LlmrError {
  constructor(options: { requested: number; maxBytes: number; allocated: number }) {
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    super({
      code: 'kernels-out-of-memory',
      message: `Cannot allocate ${mib(options.requested)} of kernel memory: ${mib(options.allocated)} is in use and the linear memory holds at most ${mib(options.maxBytes)}. Use a smaller or more quantized model, or shorter contexts.`,
    });
    this.name = 'KernelOutOfMemoryError';
  }
}

interface FreeBlock {
  start: number;
  size: number;
}

export class KernelMemory {
  private readonly sizes = new Map<number, number>();
  private readonly freeList: FreeBlock[] = [];
  private top: number;
  private allocated = 0;
  private peak = 0;
  private cachedBuffer: ArrayBuffer | undefined;
  private f32View = new Float32Array(0);
  private u8View = new Uint8Array(0);

  /** `base`: the first byte the allocator may hand out (WASM: after the stack and data). */
  constructor(
    private readonly memory: GrowableMemory,
    base: number,
  ) {
    this.top = align(base);
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  get stats(): KernelMemoryStats {
    return {
      allocatedBytes: this.allocated,
      peakBytes: this.peak,
      capacityBytes: this.memory.buffer.byteLength,
    };
  }

  /** Reserves `bytes` (rounded up to 16) and returns their offset. Contents are not zeroed. */
  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 1));
    let start = -1;
    for (let index = 0; index < this.freeList.length; index++) {
      const block = this.freeList[index]!;
      if (block.size < size) continue;
      start = block.start;
      if (block.size === size) this.freeList.splice(index, 1);
      else {
        block.start += size;
        block.size -= size;
      }
      break;
    }
    if (start < 0) {
      const end = this.top + size;
      if (end > this.memory.maxBytes)
        throw new KernelOutOfMemoryError({
          requested: bytes,
          maxBytes: this.memory.maxBytes,
          allocated: this.allocated,
        });
      if (end > this.memory.buffer.byteLength) this.memory.growTo(end);
      start = this.top;
      this.top = end;
    }
    this.sizes.set(start, size);
    this.allocated += size;
    this.peak = Math.max(this.peak, this.allocated);
    return start;
  }

  /** Reserves `bytes` and sets them to zero. */
  allocZeroed(bytes: number): number {
    const pointer = this.alloc(bytes);
    this.u8(pointer, bytes).fill(0);
    return pointer;
  }

  /** Returns an allocation; freeing an offset that is not one is a programming error. */
  free(pointer: number): void {
    const size = this.sizes.get(pointer);
    if (size === undefined)
      throw new LlmrError({
        code: 'kernels-invalid-free',
        message: `Offset ${pointer} is not a live kernel allocation (freed twice?).`,
      });
    this.sizes.delete(pointer);
    this.allocated -= size;
    if (pointer + size === this.top) {
      this.top = pointer;
      // A free block that now ends at the top merges into it.
      const last = this.freeList.at(-1);
      if (last && last.start + last.size === this.top) {
        this.top = last.start;
        this.freeList.pop();
      }
      return;
    }
    let index = 0;
    while (index < this.freeList.length && this.freeList[index]!.start < pointer) index++;
    this.freeList.splice(index, 0, { start: pointer, size });
    const next = this.freeList[index + 1];
    const current = this.freeList[index]!;
    if (next && current.start + current.size === next.start) {
      current.size += next.size;
      this.freeList.splice(index + 1, 1);
    }
    const previous = this.freeList[index - 1];
    if (previous && previous.start + previous.size === current.start) {
      previous.size += current.size;
      this.freeList.splice(index, 1);
    }
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer === this.cachedBuffer) return;
    this.cachedBuffer = buffer;
    this.f32View = new Float32Array(buffer);
    this.u8View = new Uint8Array(buffer);
  }

  /** A Float32Array over `length` floats at byte offset `pointer` (valid until the memory grows). */
  f32(pointer: number, length: number): Float32Array {
    this.refresh();
    return this.f32View.subarray(pointer >>> 2, (pointer >>> 2) + length);
  }

  /** A Uint8Array over `length` bytes at `pointer` (valid until the memory grows). */
  u8(pointer: number, length: number): Uint8Array {
    this.refresh();
    return this.u8View.subarray(pointer, pointer + length);
  }

  /** The whole memory as floats, for kernels that index it directly. */
  allF32(): Float32Array {
    this.refresh();
    return this.f32View;
  }

  allU8(): Uint8Array {
    this.refresh();
    return this.u8View;
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / KERNEL_ALIGNMENT) * KERNEL_ALIGNMENT;
}
