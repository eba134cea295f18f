/**
 * The part of the zip format PyTorch's writer uses: the central directory (zip64 included, for
 * checkpoints over 4 GB) and stored, uncompressed entries, read in ranges so a tensor's bytes
 * are fetched only when asked for.
 */
import type { ByteSource } from '@llmr/binary-io';
import { pytorchError } from './pytorch-error';
import type { PytorchLimits } from './pytorch-limits';

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored; anything else is compressed. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

const bad = (message: string, offset?: number) =>
  pytorchError('pytorch-invalid-zip', message, offset);

async function readExactly(source: ByteSource, offset: number, length: number, what: string) {
  const bytes = await source.read(offset, length);
  if (bytes.byteLength < length) {
    throw pytorchError(
      'pytorch-truncated',
      `The zip archive ends inside its ${what} (needed ${length} bytes at ${offset}, got ${bytes.byteLength}).`,
      offset,
    );
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function safe(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw bad(`The zip's ${what} (${value}) is too large.`);
  return Number(value);
}

/** Reads the central directory: every entry by name. */
export async function readZipDirectory(
  source: ByteSource,
  size: number,
  limits: PytorchLimits,
): Promise<Map<string, ZipEntry>> {
  if (size < EOCD_SIZE) throw bad(`A ${size}-byte file is too short to be a zip archive.`);
  const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = size - tailLength;
  const tail = await readExactly(source, tailStart, tailLength, 'end records');
  let eocd = -1;
  for (let at = tailLength - EOCD_SIZE; at >= 0; at--) {
    if (tail.getUint32(at, true) === EOCD_SIGNATURE) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0)
    throw bad('No end-of-central-directory record: the zip archive is truncated or not a zip.');
  let count = tail.getUint16(eocd + 10, true);
  let directorySize = tail.getUint32(eocd + 12, true);
  let directoryOffset = tail.getUint32(eocd + 16, true);
  const eocdAbsolute = tailStart + eocd;
  let directoryEnd = eocdAbsolute;
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locatorAt = eocdAbsolute - 20;
    if (locatorAt < 0) throw bad('A zip64 archive without its zip64 locator.');
    const locator = await readExactly(source, locatorAt, 20, 'zip64 locator');
    if (locator.getUint32(0, true) !== ZIP64_LOCATOR_SIGNATURE)
      throw bad('A zip64 archive without its zip64 locator.', locatorAt);
    const recordAt = safe(locator.getBigUint64(8, true), 'zip64 record offset');
    if (recordAt + 56 > locatorAt)
      throw bad('The zip64 record lies outside the archive.', recordAt);
    const record = await readExactly(source, recordAt, 56, 'zip64 record');
    if (record.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE)
      throw bad('The zip64 end record has the wrong signature.', recordAt);
    count = safe(record.getBigUint64(32, true), 'entry count');
    directorySize = safe(record.getBigUint64(40, true), 'central directory size');
    directoryOffset = safe(record.getBigUint64(48, true), 'central directory offset');
    directoryEnd = recordAt;
  }
  if (count > limits.maxZipEntries) {
    throw pytorchError(
      'pytorch-limit-exceeded',
      `The zip archive declares ${count} entries, above maxZipEntries (${limits.maxZipEntries}).`,
    );
  }
  if (directoryOffset + directorySize > directoryEnd || directorySize < count * 46) {
    throw bad(
      `The central directory (${directorySize} bytes at ${directoryOffset}, ${count} entries) does not fit before its end record at ${directoryEnd}.`,
    );
  }
  const directory = await readExactly(source, directoryOffset, directorySize, 'central directory');
  const bytes = new Uint8Array(directory.buffer, directory.byteOffset, directory.byteLength);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let at = 0;
  for (let index = 0; index < count; index++) {
    if (at + 46 > directorySize || directory.getUint32(at, true) !== CENTRAL_SIGNATURE)
      throw bad(`Central directory entry ${index} is malformed.`, directoryOffset + at);
    const method = directory.getUint16(at + 10, true);
    let compressedSize = directory.getUint32(at + 20, true);
    let uncompressedSize = directory.getUint32(at + 24, true);
    const nameLength = directory.getUint16(at + 28, true);
    const extraLength = directory.getUint16(at + 30, true);
    const commentLength = directory.getUint16(at + 32, true);
    let localHeaderOffset = directory.getUint32(at + 42, true);
    const nameStart = at + 46;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > directorySize) throw bad(`Central directory entry ${index} overruns the directory.`);
    const name = decoder.decode(bytes.subarray(nameStart, extraStart));
    // Zip64 extra field: the 8-byte values for whichever 4-byte fields are saturated.
    for (let extra = extraStart; extra + 4 <= extraStart + extraLength; ) {
      const id = directory.getUint16(extra, true);
      const length = directory.getUint16(extra + 2, true);
      if (extra + 4 + length > extraStart + extraLength) break;
      if (id === 0x0001) {
        let field = extra + 4;
        const wide = (what: string) => {
          if (field + 8 > extra + 4 + length) throw bad(`Entry "${name}" has a short zip64 field.`);
          const value = safe(directory.getBigUint64(field, true), what);
          field += 8;
          return value;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = wide('entry size');
        if (compressedSize === 0xffffffff) compressedSize = wide('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = wide('entry offset');
      }
      extra += 4 + length;
    }
    if (localHeaderOffset + 30 + compressedSize > directoryOffset)
      throw bad(`Entry "${name.slice(0, 100)}" lies outside the archive's data.`);
    entries.set(name, {
      name,
      method,
      compressedSize,
      size: uncompressedSize,
      localHeaderOffset,
    });
    at = next;
  }
  return entries;
}

/** Where an entry's bytes start; refuses compressed entries. */
export async function zipEntryDataOffset(
  source: ByteSource,
  entry: ZipEntry,
  dataEnd: number,
): Promise<number> {
  if (entry.method !== 0 || entry.compressedSize !== entry.size) {
    throw pytorchError(
      'pytorch-unsupported-compression',
      `Zip entry "${entry.name.slice(0, 100)}" is compressed (method ${entry.method}); PyTorch stores entries uncompressed. Re-save the checkpoint with torch.save.`,
    );
  }
  const header = await readExactly(source, entry.localHeaderOffset, 30, 'local header');
  if (header.getUint32(0, true) !== LOCAL_SIGNATURE)
    throw bad(`Entry "${entry.name.slice(0, 100)}" has no local header.`, entry.localHeaderOffset);
  const start =
    entry.localHeaderOffset + 30 + header.getUint16(26, true) + header.getUint16(28, true);
  if (start + entry.size > dataEnd)
    throw bad(`Entry "${entry.name.slice(0, 100)}" runs past the archive's data.`, start);
  return start;
}
