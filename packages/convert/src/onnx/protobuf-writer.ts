/**
 * The few protobuf wire-format primitives the ONNX writer needs. A message is built as a
 * list of byte chunks with a known total length, so large tensor payloads are never
 * copied into one buffer before they reach the file.
 */

/** A serialized message: its chunks, in order, and their total length. */
export interface ProtoMessage {
  chunks: Uint8Array[];
  length: number;
}

const encoder = new TextEncoder();

function varint(value: number | bigint): Uint8Array {
  let remaining = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    let byte = Number(remaining & 0x7fn);
    remaining >>= 7n;
    if (remaining !== 0n) byte |= 0x80;
    bytes.push(byte);
  } while (remaining !== 0n);
  return Uint8Array.from(bytes);
}

/** Builds one message, field by field, in the order the writer calls them. */
export class ProtoBuilder {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  private tag(field: number, wireType: 0 | 1 | 2 | 5): void {
    this.push(varint((field << 3) | wireType));
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, 0);
    this.push(varint(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.push(varint(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  message(field: number, message: ProtoMessage): this {
    this.tag(field, 2);
    this.push(varint(message.length));
    for (const chunk of message.chunks) this.push(chunk);
    return this;
  }

  /** Repeated int64 as one packed field (proto3's default for scalars). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    if (values.length === 0) return this;
    const encoded = values.map(varint);
    const total = encoded.reduce((sum, chunk) => sum + chunk.length, 0);
    this.tag(field, 2);
    this.push(varint(total));
    for (const chunk of encoded) this.push(chunk);
    return this;
  }

  packedFloats(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (const [index, value] of values.entries()) view.setFloat32(index * 4, value, true);
    this.tag(field, 2);
    this.push(varint(bytes.length));
    this.push(bytes);
    return this;
  }

  build(): ProtoMessage {
    return { chunks: this.chunks, length: this.length };
  }
}

/** Joins a message into one buffer (small messages, tests, in-memory models). */
export function concatMessage(message: ProtoMessage): Uint8Array {
  const out = new Uint8Array(message.length);
  let offset = 0;
  for (const chunk of message.chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
