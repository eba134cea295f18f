/**
 * Test helper: writes GGUF bytes field by field, with no validation, so that tests can build
 * exactly the malformed files they need.
 */
export class RawGguf {
  private bytes: number[] = [];

  u8(value: number): this {
    this.bytes.push(value & 0xff);
    return this;
  }
  u16(value: number): this {
    return this.u8(value).u8(value >>> 8);
  }
  u32(value: number): this {
    const view = new DataView(new ArrayBuffer(4));
    view.setUint32(0, value >>> 0, true);
    return this.raw(new Uint8Array(view.buffer));
  }
  u64(value: bigint | number): this {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
    return this.raw(new Uint8Array(view.buffer));
  }
  f32(value: number): this {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    return this.raw(new Uint8Array(view.buffer));
  }
  string(value: string): this {
    const encoded = new TextEncoder().encode(value);
    return this.u64(encoded.byteLength).raw(encoded);
  }
  raw(bytes: ArrayLike<number>): this {
    for (let index = 0; index < bytes.length; index++) this.bytes.push(bytes[index]! & 0xff);
    return this;
  }
  /** `GGUF`, version, tensor count, metadata count. */
  header(tensorCount: number | bigint, metadataCount: number | bigint, version = 3): this {
    return this.raw([0x47, 0x47, 0x55, 0x46]).u32(version).u64(tensorCount).u64(metadataCount);
  }
  /** Zero bytes up to a multiple of `alignment`. */
  pad(alignment = 32): this {
    while (this.bytes.length % alignment !== 0) this.bytes.push(0);
    return this;
  }
  get length(): number {
    return this.bytes.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}
