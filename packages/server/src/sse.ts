/** Server-sent events on a raw Node response, with backpressure. */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

export async function writeEvent(response: ServerResponse, data: unknown): Promise<void> {
  if (response.destroyed || response.writableEnded) return;
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  if (!response.write(`data: ${payload}\n\n`)) {
    // Wait for the client to catch up, or for it to go away.
    await Promise.race([once(response, 'drain'), once(response, 'close')]);
  }
}
