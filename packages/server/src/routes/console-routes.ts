/**
 * The web console: static files (an `index.html` and its `assets/`) built by `@llmr/web`,
 * served at `/`. The page itself holds no secret, so it is public; every API call it makes
 * carries the key the user types in and goes through the same guard as any other client.
 * Files are read once at startup into memory: no request path ever reaches the file system,
 * so there is nothing to traverse.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { LlmrError } from '@llmr/core';
import type { FastifyInstance } from 'fastify';

export interface ConsoleOptions {
  /** The folder holding the console's `index.html` and `assets/` (`@llmr/web`'s dist). */
  root: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/** A console build is a few small files; more than this is the wrong folder. */
const MAX_FILES = 200;
const MAX_TOTAL_BYTES = 20 * 1024 * 1024;

interface ConsoleFile {
  body: Buffer;
  type: string;
}

async function readConsoleFiles(root: string): Promise<Map<string, ConsoleFile>> {
  const files = new Map<string, ConsoleFile>();
  let total = 0;
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      const type = CONTENT_TYPES[extname(entry.name)];
      if (!type) continue;
      const body = await readFile(path);
      total += body.length;
      if (files.size >= MAX_FILES || total > MAX_TOTAL_BYTES)
        throw new LlmrError({
          code: 'console-too-large',
          message: `The console folder ${root} holds more than ${MAX_FILES} files or ${MAX_TOTAL_BYTES} bytes; point it at @llmr/web's dist folder.`,
        });
      files.set(relative(root, path).split(sep).join('/'), { body, type });
    }
  };
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory())
    throw new LlmrError({
      code: 'console-missing',
      message: `The web console folder ${root} does not exist; build @llmr/web (pnpm --filter @llmr/web build) or turn the console off.`,
    });
  await walk(root);
  if (!files.has('index.html'))
    throw new LlmrError({
      code: 'console-missing',
      message: `The web console folder ${root} has no index.html; build @llmr/web (pnpm --filter @llmr/web build) or turn the console off.`,
    });
  return files;
}

export async function registerConsoleRoutes(
  app: FastifyInstance,
  options: ConsoleOptions,
): Promise<void> {
  const files = await readConsoleFiles(options.root);
  const index = files.get('index.html') as ConsoleFile;
  const hide = { schema: { hide: true } };
  app.get('/', hide, async (_request, reply) =>
    reply.header('content-type', index.type).header('cache-control', 'no-cache').send(index.body),
  );
  app.get<{ Params: { '*': string } }>('/assets/*', hide, async (request, reply) => {
    const file = files.get(`assets/${request.params['*']}`);
    if (!file) return reply.callNotFound();
    // Vite names assets by content hash, so they never change under one name.
    return reply
      .header('content-type', file.type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(file.body);
  });
}
