/** What the CLI prints for errors, and with which exit code. */
import { InvalidArgumentError, LlmrError } from '@llmr/core';

export function reportError(error: unknown): number {
  if (LlmrError.isInstance(error)) {
    process.stderr.write(`error: ${error.message} [${error.code}]\n`);
    // Bad input (arguments, config files) exits 2; everything else 1.
    return InvalidArgumentError.isInstance(error) || error.code === 'router-config-invalid' ? 2 : 1;
  }
  process.stderr.write(
    `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}

export function parseNumber(name: string, integer: boolean) {
  return (raw: string): number => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      throw new InvalidArgumentError({
        argument: name,
        value: raw,
        message: `${name} must be ${integer ? 'an integer' : 'a number'}; got "${raw}".`,
      });
    }
    return value;
  };
}
