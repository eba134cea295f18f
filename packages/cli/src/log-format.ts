/**
 * How `llmr serve` writes its logs: readable lines for a person at a terminal, JSON lines
 * for anything reading them (a pipe, a file, a log collector). `--log-format` overrides it.
 */
import { InvalidArgumentError } from '@llmr/core';
import { createPrettyLogStream } from './pretty-log-stream';

export type LogFormat = 'json' | 'pretty';

export function parseLogFormat(raw: string): LogFormat {
  if (raw === 'json' || raw === 'pretty') return raw;
  throw new InvalidArgumentError({
    argument: '--log-format',
    value: raw,
    message: `--log-format must be "pretty" or "json"; got "${raw}".`,
  });
}

/** pino options for the server: `format` wins, else pretty exactly when stdout is a terminal. */
export function serverLoggerOptions(options: {
  format?: LogFormat;
  level: string;
  stdout: NodeJS.WriteStream;
  environment?: NodeJS.ProcessEnv;
}): Record<string, unknown> {
  const format = options.format ?? (options.stdout.isTTY ? 'pretty' : 'json');
  if (format === 'json') return { level: options.level };
  const environment = options.environment ?? process.env;
  // The NO_COLOR and FORCE_COLOR conventions, else color on a terminal only.
  const colors =
    environment.NO_COLOR === undefined &&
    (options.stdout.isTTY === true ||
      (environment.FORCE_COLOR !== undefined && environment.FORCE_COLOR !== '0'));
  return {
    level: options.level,
    stream: createPrettyLogStream({ output: options.stdout, colors }),
  };
}
