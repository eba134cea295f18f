/**
 * Streaming stop-sequence detection. Text that might be the start of a stop
 * sequence is held back until it is known not to be one, so a stop sequence is never
 * emitted, even in part, however the text is split into deltas.
 */
export interface StopSequenceMatcher {
  /** Feed generated text; returns the text that is safe to emit and whether to stop. */
  push(delta: string): { text: string; stopped: boolean; stopSequence?: string };
  /** End of generation without a stop: returns the text still held back. */
  flush(): string;
}

export function createStopSequenceMatcher(
  stopSequences: readonly string[] = [],
): StopSequenceMatcher {
  const stops = stopSequences.filter((stop) => stop.length > 0);
  let held = '';
  let stopped = false;

  return {
    push(delta) {
      if (stopped) return { text: '', stopped: true };
      if (stops.length === 0) return { text: delta, stopped: false };
      held += delta;
      let earliest = -1;
      let which: string | undefined;
      for (const stop of stops) {
        const index = held.indexOf(stop);
        if (index !== -1 && (earliest === -1 || index < earliest)) {
          earliest = index;
          which = stop;
        }
      }
      if (earliest !== -1) {
        stopped = true;
        const text = held.slice(0, earliest);
        held = '';
        return { text, stopped: true, stopSequence: which };
      }
      // Hold back the longest suffix that is a proper prefix of some stop sequence.
      let keep = 0;
      for (const stop of stops) {
        const max = Math.min(stop.length - 1, held.length);
        for (let length = max; length > keep; length--) {
          if (held.endsWith(stop.slice(0, length))) {
            keep = length;
            break;
          }
        }
      }
      const text = held.slice(0, held.length - keep);
      held = held.slice(held.length - keep);
      return { text, stopped: false };
    },
    flush() {
      const text = stopped ? '' : held;
      held = '';
      return text;
    },
  };
}
