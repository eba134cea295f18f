/** Test helper: a safetensors file from a header given as text (no validation) and data bytes. */
export function rawSafetensors(
  header: string | object,
  data: ArrayLike<number> | number = 0,
  headerSize?: bigint,
): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text);
  const body = typeof data === 'number' ? new Uint8Array(data) : Uint8Array.from(data);
  const bytes = new Uint8Array(8 + json.byteLength + body.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, headerSize ?? BigInt(json.byteLength), true);
  bytes.set(json, 8);
  bytes.set(body, 8 + json.byteLength);
  return bytes;
}
