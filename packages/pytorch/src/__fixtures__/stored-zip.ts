/** A minimal stored (uncompressed) zip writer for tests: PyTorch's layout with chosen bytes. */

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function storedZip(entries: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const encoder = new TextEncoder();
  for (const [name, data] of entries) {
    const nameBytes = encoder.encode(name);
    const local = new Uint8Array(30 + nameBytes.byteLength);
    const view = new DataView(local.buffer);
    const crc = crc32(data);
    view.setUint32(0, 0x04034b50, true);
    view.setUint16(4, 20, true);
    view.setUint32(14, crc, true);
    view.setUint32(18, data.byteLength, true);
    view.setUint32(22, data.byteLength, true);
    view.setUint16(26, nameBytes.byteLength, true);
    local.set(nameBytes, 30);
    const entry = new Uint8Array(46 + nameBytes.byteLength);
    const entryView = new DataView(entry.buffer);
    entryView.setUint32(0, 0x02014b50, true);
    entryView.setUint16(4, 20, true);
    entryView.setUint16(6, 20, true);
    entryView.setUint32(16, crc, true);
    entryView.setUint32(20, data.byteLength, true);
    entryView.setUint32(24, data.byteLength, true);
    entryView.setUint16(28, nameBytes.byteLength, true);
    entryView.setUint32(42, offset, true);
    entry.set(nameBytes, 46);
    chunks.push(local, data);
    central.push(entry);
    offset += local.byteLength + data.byteLength;
  }
  const directorySize = central.reduce((sum, entry) => sum + entry.byteLength, 0);
  const end = new Uint8Array(22);
  const endView = new DataView(end.buffer);
  endView.setUint32(0, 0x06054b50, true);
  endView.setUint16(8, entries.length, true);
  endView.setUint16(10, entries.length, true);
  endView.setUint32(12, directorySize, true);
  endView.setUint32(16, offset, true);
  const all = [...chunks, ...central, end];
  const output = new Uint8Array(all.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let at = 0;
  for (const chunk of all) {
    output.set(chunk, at);
    at += chunk.byteLength;
  }
  return output;
}

/** A torch-style archive: `archive/data.pkl`, `archive/data/<key>` for each storage, `archive/version`. */
export function torchZip(pickle: Uint8Array, storages: Record<string, Uint8Array>): Uint8Array {
  return storedZip([
    ['archive/data.pkl', pickle],
    ...Object.entries(storages).map(([key, bytes]) => [`archive/data/${key}`, bytes] as const),
    ['archive/version', new TextEncoder().encode('3\n')],
  ]);
}
