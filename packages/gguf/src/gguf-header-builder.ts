/** The GGUF header as bytes: a growable little-endian buffer that writes GGUF values. */

import type { NormalizedValue } from './gguf-metadata-value';
import { type GgufScalar, type GgufScalarType, GgufValueType } from './gguf-types';

const textEncoder = new TextEncoder();

/** Growable little-endian byte buffer for the header. */
export class ByteBuilder {
  private buffer = new Uint8Array(4096);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.byteLength) return;
    let capacity = this.buffer.byteLength * 2;
    while (capacity < this.length + bytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }
  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }
  u64(value: bigint | number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }
  string(value: string): void {
    const bytes = textEncoder.encode(value);
    this.u64(bytes.byteLength);
    this.reserve(bytes.byteLength);
    this.buffer.set(bytes, this.length);
    this.length += bytes.byteLength;
  }
  scalar(type: GgufScalarType, value: GgufScalar): void {
    const view = () => this.view;
    const at = () => this.length;
    switch (type) {
      case GgufValueType.UINT8:
        this.u8(value as number);
        return;
      case GgufValueType.INT8:
        this.reserve(1);
        view().setInt8(at(), value as number);
        this.length += 1;
        return;
      case GgufValueType.UINT16:
        this.reserve(2);
        view().setUint16(at(), value as number, true);
        this.length += 2;
        return;
      case GgufValueType.INT16:
        this.reserve(2);
        view().setInt16(at(), value as number, true);
        this.length += 2;
        return;
      case GgufValueType.UINT32:
        this.u32(value as number);
        return;
      case GgufValueType.INT32:
        this.reserve(4);
        view().setInt32(at(), value as number, true);
        this.length += 4;
        return;
      case GgufValueType.FLOAT32:
        this.reserve(4);
        view().setFloat32(at(), value as number, true);
        this.length += 4;
        return;
      case GgufValueType.FLOAT64:
        this.reserve(8);
        view().setFloat64(at(), value as number, true);
        this.length += 8;
        return;
      case GgufValueType.BOOL:
        this.u8(value ? 1 : 0);
        return;
      case GgufValueType.UINT64:
        this.u64(BigInt(value as bigint | number));
        return;
      case GgufValueType.INT64:
        this.reserve(8);
        view().setBigInt64(at(), BigInt(value as bigint | number), true);
        this.length += 8;
        return;
      case GgufValueType.STRING:
        this.string(value as string);
        return;
    }
  }
  value(value: NormalizedValue): void {
    if (value.type !== GgufValueType.ARRAY) {
      this.scalar(value.type, value.value);
      return;
    }
    this.u32(value.itemType);
    this.u64(value.value.length);
    if (value.itemType === GgufValueType.ARRAY) {
      for (const item of value.value as NormalizedValue[]) this.value(item);
      return;
    }
    const items = value.value as ArrayLike<GgufScalar>;
    for (let index = 0; index < items.length; index++) this.scalar(value.itemType, items[index]!);
  }
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
