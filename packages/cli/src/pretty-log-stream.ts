/**
 * A pino destination that turns Fastify's JSON log lines into one readable line each:
 * `12:04:05.140 INFO  <-- POST /v1/chat/completions 200 17.1 ms` when a request is
 * answered (the server's one access line), and `--> POST ...` for a line that logs a
 * request coming in (Fastify's default, when a server logs both ends). Written here
 * rather than taken from pino-pretty: it is the only shape the server logs.
 */

const ANSI = {
  reset: '\u001b[0m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  magenta: '\u001b[35m',
} as const;

type Color = keyof typeof ANSI;

const LEVELS: Record<number, { name: string; color: Color }> = {
  10: { name: 'TRACE', color: 'dim' },
  20: { name: 'DEBUG', color: 'dim' },
  30: { name: 'INFO', color: 'green' },
  40: { name: 'WARN', color: 'yellow' },
  50: { name: 'ERROR', color: 'red' },
  60: { name: 'FATAL', color: 'magenta' },
};

/** Requests seen coming in and not yet answered; bounded so that lost ends cannot grow it. */
const MAX_OPEN_REQUESTS = 10_000;

interface LogRecord {
  level?: number;
  time?: number;
  msg?: string;
  reqId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { message?: string; stack?: string };
  code?: string;
  message?: string;
}

export interface PrettyLogStreamOptions {
  output: { write(text: string): unknown };
  colors: boolean;
}

export function createPrettyLogStream(options: PrettyLogStreamOptions): {
  write(chunk: string): void;
} {
  const paint = (color: Color, text: string) =>
    options.colors ? `${ANSI[color]}${text}${ANSI.reset}` : text;
  const open = new Map<string, string>();

  const statusColor = (status: number): Color =>
    status >= 500 ? 'red' : status >= 400 ? 'yellow' : status >= 300 ? 'cyan' : 'green';

  const format = (record: LogRecord): string => {
    const level = LEVELS[record.level ?? 30] ?? { name: String(record.level), color: 'dim' };
    const time = new Date(record.time ?? Date.now()).toISOString().slice(11, 23);
    const head = `${paint('dim', time)} ${paint(level.color, level.name.padEnd(5))}`;
    if (record.res?.statusCode !== undefined) {
      // The server's one access line carries the request; a line of its own came before
      // it when each request logged twice ('incoming request', then this).
      const own = record.req?.method ? `${record.req.method} ${record.req.url ?? ''}` : undefined;
      const opened = record.reqId ? open.get(record.reqId) : undefined;
      if (record.reqId && opened !== undefined) open.delete(record.reqId);
      const request = own ?? opened ?? record.reqId ?? '';
      const status = record.res.statusCode;
      const took = record.responseTime === undefined ? '' : ` ${record.responseTime.toFixed(1)} ms`;
      return `${head} ${paint('dim', '<--')} ${request} ${paint(statusColor(status), String(status))}${took}`;
    }
    if (record.req?.method) {
      const request = `${record.req.method} ${record.req.url ?? ''}`;
      if (record.reqId) {
        if (open.size >= MAX_OPEN_REQUESTS) open.clear();
        open.set(record.reqId, request);
      }
      return `${head} ${paint('dim', '-->')} ${request}`;
    }
    const details = [
      record.code && `[${record.code}]`,
      record.message,
      record.err?.stack ?? record.err?.message,
    ].filter(Boolean);
    return `${head} ${record.msg ?? ''}${details.length ? ` ${details.join(' ')}` : ''}`;
  };

  return {
    write(chunk) {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        let record: LogRecord;
        try {
          record = JSON.parse(line) as LogRecord;
        } catch {
          // Not pino's JSON: pass it on as it came.
          options.output.write(`${line}\n`);
          continue;
        }
        options.output.write(`${format(record)}\n`);
      }
    },
  };
}
