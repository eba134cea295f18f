/**
 * The HTTP API of the observability pieces: `GET /api/slo`, `GET /api/experiments`,
 * `GET /api/experiments/:id`, `POST /api/experiments/:id/promote` and `/stop` (admin), and
 * `POST /v1/feedback`. Errors answer in OpenAI's error shape with the library's message.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ObservabilityError } from '../errors';
import type { ExperimentManager } from '../experiments/experiment-manager';
import type { FeedbackInput, FeedbackRecorder } from '../feedback/feedback-recorder';
import type { SloMonitor } from '../slo/slo-monitor';

export interface ObservabilityRoutesOptions {
  slo?: SloMonitor;
  experiments?: ExperimentManager;
  feedback?: FeedbackRecorder;
  /** Whether a request may promote or stop an experiment; default: nobody may. */
  isAdmin?: (request: FastifyRequest) => boolean;
  /** Runs before each route (the server's auth and rate limits). */
  preHandler?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> | unknown;
}

const STATUS_BY_CODE: Record<string, number> = {
  'experiment-not-found': 404,
  'experiment-variant-not-found': 404,
  'feedback-unknown-response': 404,
  'invalid-feedback': 400,
  'response-registry-unavailable': 503,
  'experiment-stopped': 409,
};

function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.status(status).send({
    error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code },
  });
}

function handle<T>(reply: FastifyReply, work: () => Promise<T> | T) {
  return Promise.resolve()
    .then(work)
    .catch((error: unknown) => {
      if (ObservabilityError.isInstance(error)) {
        return sendError(reply, STATUS_BY_CODE[error.code] ?? 400, error.code, error.message);
      }
      throw error;
    });
}

export function registerObservabilityRoutes(
  app: FastifyInstance,
  options: ObservabilityRoutesOptions,
): void {
  const common = options.preHandler
    ? {
        preHandler: options.preHandler as (
          request: FastifyRequest,
          reply: FastifyReply,
        ) => Promise<void>,
      }
    : {};
  const { slo, experiments, feedback } = options;
  const adminOnly = (request: FastifyRequest, reply: FastifyReply) => {
    if (options.isAdmin?.(request)) return undefined;
    return sendError(
      reply,
      403,
      'admin-required',
      'Promoting or stopping an experiment needs an admin key. Call with one, or configure who is an admin.',
    );
  };

  if (slo) {
    app.get('/api/slo', common, async () => ({ object: 'list', data: await slo.report() }));
  }
  if (experiments) {
    app.get('/api/experiments', common, async () => ({ object: 'list', data: experiments.list() }));
    // Reports start with a sync, so every replica answers with the shared numbers.
    const sharedReport = async (id: string) => {
      experiments.definition(id); // An unknown id answers 404 before any store is asked.
      const unreachable = await experiments.sync().then(
        () => undefined,
        (error: unknown) => error,
      );
      const report = experiments.report(id);
      if (unreachable !== undefined) {
        report.warnings.push(
          `The experiment store could not be reached (${(unreachable as Error).message ?? String(unreachable)}): these are this replica's numbers only.`,
        );
      }
      return report;
    };
    app.get<{ Params: { id: string } }>('/api/experiments/:id', common, (request, reply) =>
      handle(reply, () => sharedReport(request.params.id)),
    );
    app.post<{ Params: { id: string }; Body: { variant?: unknown } }>(
      '/api/experiments/:id/promote',
      common,
      (request, reply) =>
        adminOnly(request, reply) ??
        handle(reply, async () => {
          const variant = request.body?.variant;
          if (typeof variant !== 'string' || variant.length === 0) {
            throw new ObservabilityError({
              code: 'invalid-feedback',
              message: 'Send {"variant": "<name>"}: the variant to promote.',
            });
          }
          const promoted = experiments.promote(request.params.id, variant);
          // Recorded in the store now, so other replicas serve the winner from their next sync.
          await experiments.sync();
          return { id: request.params.id, promoted };
        }),
    );
    app.post<{ Params: { id: string }; Body: { reason?: unknown } }>(
      '/api/experiments/:id/stop',
      common,
      (request, reply) =>
        adminOnly(request, reply) ??
        handle(reply, () => {
          const reason = request.body?.reason;
          experiments.stop(
            request.params.id,
            typeof reason === 'string' ? reason.slice(0, 500) : undefined,
          );
          return sharedReport(request.params.id);
        }),
    );
  }
  if (feedback) {
    app.post<{ Body: FeedbackInput }>(
      '/v1/feedback',
      { ...common, bodyLimit: 64 * 1024 },
      (request, reply) =>
        handle(reply, async () => {
          const entry = await feedback.submit(request.body);
          return reply
            .status(201)
            .send({ object: 'feedback', responseId: entry.responseId, score: entry.score });
        }),
    );
  }
}
