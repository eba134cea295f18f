/** Assertions for the conformance kit: no test-runner dependency, so checks run anywhere. */
export class ConformanceError extends Error {
  constructor(check: string, message: string) {
    super(`[${check}] ${message}`);
    this.name = 'ConformanceError';
  }
}

export function ensure(condition: unknown, check: string, message: string): asserts condition {
  if (!condition) throw new ConformanceError(check, message);
}

/** Runs `action` and returns what it threw; fails the check when it does not throw. */
export async function expectRejection(
  action: () => Promise<unknown>,
  check: string,
  what: string,
): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new ConformanceError(check, `${what} resolved, but it should have failed.`);
}

export function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text && text.length > 200 ? `${text.slice(0, 200)}...` : String(text);
}
