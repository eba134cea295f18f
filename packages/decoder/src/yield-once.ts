/**
 * Yields to the event loop once (a macrotask, not a microtask), so other sequences can
 * queue their next step. setImmediate where there is one (Node, Bun), else a timer
 * (browsers, workers, edge runtimes).
 */
export const yieldOnce = (): Promise<void> =>
  new Promise((resolve) => {
    const immediate = (globalThis as { setImmediate?: (callback: () => void) => void })
      .setImmediate;
    if (immediate) immediate(resolve);
    else setTimeout(resolve, 0);
  });
