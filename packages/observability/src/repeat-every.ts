/** Runs an async task on a timer that does not keep the process alive, until stopped. */
export function repeatEvery(
  everyMs: number,
  task: () => Promise<unknown>,
  onError: (error: unknown) => void,
): () => void {
  const timer = setInterval(() => task().catch(onError), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
