/**
 * How long a write may wait for a client that stopped reading. Past it the connection is
 * closed, which aborts the generation and frees its model sequence: a client must not
 * hold a model by not reading.
 */
export const DEFAULT_WRITE_STALL_MS = 30_000;

/**
 * Waits for a pending write to be taken by the client, or calls `onStall` once `stallMs`
 * pass first. Shared by SSE and WebSocket so both transports cut off a non-reading client
 * the same way.
 */
export async function waitOrStall(
  pending: Promise<unknown>,
  stallMs: number,
  onStall: () => void,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onStall();
      resolve();
    }, stallMs);
  });
  try {
    await Promise.race([pending, stalled]);
  } finally {
    clearTimeout(timer);
  }
}
