/**
 * A fetch handler (web-standard Request → Response) over one ModelV1: the part every edge
 * runtime shares. Workers, Deno and Bun all speak `fetch(request)`, so the runtime-specific
 * glue is only how the model bytes arrive and how the server listens.
 *
 * Routes: `POST /v1/generate` streams the model's stream parts as server-sent events;
 * `GET /v1/info` gives the model's info, kernel backend and the edge engine's selector row; `POST /v1/conformance` (only
 * with `createModel`) runs the conformance kit in the runtime.
 */
import { InvalidArgumentError, LlmrError, type ModelV1 } from '@llmr/core';
import { edgeEngineRow } from './edge-engine-row';

export interface EdgeHandlerSettings {
  /** The model to serve (or a promise of it, e.g. a load started on first request). */
  model: () => ModelV1 | Promise<ModelV1>;
  /** Loads a fresh model for the conformance kit; enables `POST /v1/conformance`. */
  createModel?: () => Promise<ModelV1>;
  /** Upper bound on `maxTokens` a request may ask for. Default 512. */
  maxTokensLimit?: number;
}

export type EdgeHandler = (request: Request) => Promise<Response>;

/** Bounds the JSON body read from a request so a huge upload cannot exhaust memory. */
const MAX_BODY_BYTES = 64 * 1024;

interface GenerateBody {
  prompt: string;
  maxTokens: number;
  temperature?: number;
  seed?: number;
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function errorResponse(error: unknown): Response {
  if (LlmrError.isInstance(error)) {
    const status = InvalidArgumentError.isInstance(error) ? 400 : 500;
    return jsonResponse(status, { error: { code: error.code, message: error.message } });
  }
  return jsonResponse(500, { error: { code: 'internal', message: String(error) } });
}

function invalid(argument: string, message: string, value?: unknown): InvalidArgumentError {
  return new InvalidArgumentError({ argument, message, value });
}

async function readGenerateBody(request: Request, maxTokensLimit: number): Promise<GenerateBody> {
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES)
    throw invalid(
      'body',
      `The request body is over ${MAX_BODY_BYTES} bytes; send a shorter prompt.`,
    );
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid('body', 'The request body is not JSON; send {"prompt": "...", "maxTokens": 16}.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('body', 'The request body must be a JSON object with a "prompt" string.');
  const fields = body as Record<string, unknown>;
  const { prompt, temperature, seed } = fields;
  const maxTokens = fields.maxTokens ?? Math.min(64, maxTokensLimit);
  if (typeof prompt !== 'string' || prompt.length === 0)
    throw invalid('prompt', '"prompt" must be a non-empty string.', prompt);
  if (
    !Number.isInteger(maxTokens) ||
    (maxTokens as number) < 1 ||
    (maxTokens as number) > maxTokensLimit
  )
    throw invalid(
      'maxTokens',
      `"maxTokens" must be an integer from 1 to ${maxTokensLimit}.`,
      maxTokens,
    );
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0))
    throw invalid('temperature', '"temperature" must be a number >= 0.', temperature);
  if (seed !== undefined && !Number.isInteger(seed))
    throw invalid('seed', '"seed" must be an integer.', seed);
  return {
    prompt,
    maxTokens: maxTokens as number,
    temperature: temperature as number | undefined,
    seed: seed as number | undefined,
  };
}

function serializePart(part: unknown): string {
  if (typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'error') {
    const error = (part as { error: unknown }).error;
    const described = LlmrError.isInstance(error)
      ? { code: error.code, message: error.message }
      : { code: 'internal', message: String(error) };
    return `event: error\ndata: ${JSON.stringify(described)}\n\n`;
  }
  return `data: ${JSON.stringify(part)}\n\n`;
}

async function generate(
  model: ModelV1,
  body: GenerateBody,
  abortSignal: AbortSignal,
): Promise<Response> {
  const { stream } = await model.doStream({
    prompt: body.prompt,
    maxTokens: body.maxTokens,
    temperature: body.temperature ?? 0,
    seed: body.seed,
    abortSignal,
  });
  const encoder = new TextEncoder();
  const events = stream.pipeThrough(
    new TransformStream({
      transform(part, controller) {
        controller.enqueue(encoder.encode(serializePart(part)));
      },
      flush(controller) {
        controller.enqueue(encoder.encode('data: [DONE]\n\n'));
      },
    }),
  );
  return new Response(events, {
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' },
  });
}

async function conformance(createModel: () => Promise<ModelV1>): Promise<Response> {
  // Imported on use: the kit is only needed on this route.
  const { checkModel } = await import('@llmr/core/test/kit');
  const report = await checkModel(
    { name: 'edge', createModel, prompt: 'Once upon a time', maxTokens: 8 },
    { throwOnFailure: false },
  );
  // Errors do not survive JSON.stringify; send their messages.
  const failed = report.failed.map(({ check, error }) => ({
    check,
    message: error instanceof Error ? error.message : String(error),
  }));
  return jsonResponse(200, { ...report, failed });
}

export function createEdgeHandler(settings: EdgeHandlerSettings): EdgeHandler {
  const maxTokensLimit = settings.maxTokensLimit ?? 512;
  return async (request) => {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === '/v1/generate' && request.method === 'POST') {
        const body = await readGenerateBody(request, maxTokensLimit);
        return await generate(await settings.model(), body, request.signal);
      }
      if (pathname === '/v1/info' && request.method === 'GET') {
        const model = await settings.model();
        // runtime-simple reports which kernels run: 'wasm-simd' or the TypeScript fallback.
        const backend = (model as { backend?: unknown }).backend ?? null;
        return jsonResponse(200, { info: model.info, backend, engine: await edgeEngineRow() });
      }
      if (pathname === '/v1/conformance' && request.method === 'POST' && settings.createModel)
        return await conformance(settings.createModel);
      return jsonResponse(404, {
        error: {
          code: 'not-found',
          message: `No route ${request.method} ${pathname}; use POST /v1/generate or GET /v1/info.`,
        },
      });
    } catch (error) {
      return errorResponse(error);
    }
  };
}
