/**
 * Decodes a stream of byte chunks to text without ever splitting a multi-byte
 * character: incomplete sequences wait for the next chunk.
 */
export interface Utf8StreamDecoder {
  push(bytes: Uint8Array): string;
  flush(): string;
}

export function createUtf8StreamDecoder(): Utf8StreamDecoder {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  return {
    push: (bytes) => decoder.decode(bytes, { stream: true }),
    flush: () => decoder.decode(),
  };
}
