/**
 * Turns config text (JSON or YAML) or an object into a validated config. Every problem
 * comes back at once, each with its field path and, for text, its line and column.
 */
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import type { z } from 'zod';
import { RouterConfigError, type RouterConfigIssue } from '../errors';
import {
  createRouterConfigSchema,
  type ResolvedRouterConfig,
  type RouterConfig,
} from './router-config-schema';

export interface ValidateRouterConfigOptions {
  /** Names of custom strategies that config may use. */
  strategies?: readonly string[];
  /** Names of the pipeline stages that config may use (the router's stage registry). */
  stages?: readonly string[];
  /** Shown in error messages. */
  file?: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text ? `.${String(key)}` : String(key);
  }
  return text;
}

function issuesOf(error: z.ZodError): { path: PropertyKey[]; message: string; keys?: string[] }[] {
  return error.issues.map((issue) => ({
    path: issue.path,
    message: issue.message,
    ...(issue.code === 'unrecognized_keys' ? { keys: issue.keys } : {}),
  }));
}

/** Validates a config object (from code or already parsed). Throws RouterConfigError. */
export function validateRouterConfig(
  input: RouterConfig | unknown,
  options: ValidateRouterConfigOptions = {},
): ResolvedRouterConfig {
  const result = createRouterConfigSchema(options.strategies, options.stages).safeParse(
    input ?? {},
  );
  if (result.success) return result.data;
  throw new RouterConfigError({
    file: options.file,
    issues: issuesOf(result.error).flatMap(({ path, message, keys }) =>
      keys?.length
        ? keys.map((key) => ({
            path: formatPath([...path, key]),
            message: 'unknown field (check its spelling)',
          }))
        : [{ path: formatPath(path), message }],
    ),
  });
}

export interface ParseRouterConfigOptions extends ValidateRouterConfigOptions {
  /** Default: from the file name (`.json` is JSON), else YAML. JSON is valid YAML too. */
  format?: 'json' | 'yaml';
}

/** Parses and validates config text, pointing every problem at its line. */
export function parseRouterConfig(
  text: string,
  options: ParseRouterConfigOptions = {},
): ResolvedRouterConfig {
  const format = options.format ?? (options.file?.endsWith('.json') ? 'json' : 'yaml');
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  let data: unknown;
  if (format === 'json') {
    try {
      data = JSON.parse(text);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const position = /position (\d+)/.exec(message);
      const at = position ? lineCounter.linePos(Number(position[1])) : undefined;
      throw new RouterConfigError({
        file: options.file,
        cause: error,
        issues: [
          {
            path: '',
            message: `invalid JSON: ${message}`,
            ...(at ? { line: at.line, column: at.col } : {}),
          },
        ],
      });
    }
  } else {
    if (document.errors.length > 0) {
      throw new RouterConfigError({
        file: options.file,
        issues: document.errors.map((error) => {
          const at = lineCounter.linePos(error.pos[0]);
          return {
            path: '',
            message: `invalid YAML: ${error.message.split('\n')[0]}`,
            line: at.line,
            column: at.col,
          };
        }),
      });
    }
    data = document.toJS();
  }
  const result = createRouterConfigSchema(options.strategies, options.stages).safeParse(data ?? {});
  if (result.success) return result.data;
  const issues: RouterConfigIssue[] = issuesOf(result.error).flatMap(({ path, message, keys }) => {
    const targets = keys?.length
      ? keys.map((key) => ({
          path: [...path, key],
          message: 'unknown field (check its spelling)',
          key: true,
        }))
      : [{ path, message, key: false }];
    return targets.map((target) => {
      const offset = locate(document, target.path, target.key);
      const at = offset === undefined ? undefined : lineCounter.linePos(offset);
      return {
        path: formatPath(target.path),
        message: target.message,
        ...(at ? { line: at.line, column: at.col } : {}),
      };
    });
  });
  throw new RouterConfigError({ file: options.file, issues });
}

/**
 * The source offset of the node at `path`, or of its nearest ancestor when the field is
 * missing. With `atKey`, the offset of the key itself (for unknown fields).
 */
function locate(
  document: Document,
  path: readonly PropertyKey[],
  atKey = false,
): number | undefined {
  let node: unknown = document.contents;
  let best: number | undefined = (node as Node | null)?.range?.[0];
  for (const [index, key] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(key),
      );
      if (!pair) break;
      const last = index === path.length - 1;
      if (last && atKey && isScalar(pair.key)) return pair.key.range?.[0];
      node = pair.value;
      best =
        (pair.value as Node | null)?.range?.[0] ??
        (isScalar(pair.key) ? pair.key.range?.[0] : best);
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as Node | undefined;
      if (!item) break;
      node = item;
      best = item.range?.[0] ?? best;
    } else break;
  }
  return best;
}
