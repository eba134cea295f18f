import { type BackendModel, openAIEmbeddings, requireModel, toOpenAIError } from '@llmr/server';
import { admit, type GrpcContext, requestIdOf } from './grpc-context';
import { routingMessage, routingMetadata } from './grpc-responses';
import { unary } from './unary-call';

/** Upper bound on inputs per Embed call, as REST's schema sets it. */
export const MAX_EMBED_INPUTS = 2048;

function modelMessage(model: BackendModel) {
  return {
    id: model.id,
    loaded: model.loaded,
    owned_by: model.ownedBy ?? 'llmr',
    source: model.source ?? '',
    info: model.info
      ? {
          format: model.info.format,
          architecture: model.info.architecture ?? '',
          context_length: model.info.contextLength,
          capabilities: model.info.capabilities,
          parameter_count: model.info.parameterCount ?? 0,
          quantization: model.info.quantization ?? '',
        }
      : null,
  };
}

export function createModelHandlers(context: GrpcContext) {
  const { backend } = context;
  return {
    ListModels: unary(async (call) => {
      await admit(context, call);
      return { models: (await backend.listModels()).map(modelMessage) };
    }),
    GetModel: unary<{ model: string }>(async (call) => {
      await admit(context, call);
      return modelMessage(await requireModel(backend, call.request.model));
    }),
  };
}

export function createEmbeddingHandlers(context: GrpcContext) {
  return {
    Embed: unary<{ model: string; inputs: string[]; dimensions: number }>(async (call) => {
      const { inputs } = call.request;
      if (inputs.length === 0 || inputs.length > MAX_EMBED_INPUTS)
        throw Object.assign(new Error('invalid request'), {
          validation: [
            {
              instancePath: '/inputs',
              keyword: 'count',
              message: `must hold 1 to ${MAX_EMBED_INPUTS} texts; got ${inputs.length}`,
            },
          ],
        });
      const body = {
        model: call.request.model || 'auto',
        input: inputs,
        ...(call.request.dimensions > 0 ? { dimensions: call.request.dimensions } : {}),
      };
      const requestId = requestIdOf(call);
      const { client, admission, meter } = await admit(context, call, {
        model: body.model,
        route: 'grpc.embeddings',
        requestId,
      });
      let charged: Parameters<NonNullable<typeof meter>['settle']>[0] | undefined;
      const tracked = context.core.track({
        id: requestId,
        route: 'grpc.embeddings',
        transport: 'grpc',
        model: body.model,
        stream: false,
        client,
      });
      let status = 200;
      try {
        const { result, routing } = await context.backend.embed(body.model, {
          values: inputs,
          abortSignal: tracked.signal,
        });
        tracked.model = routing.modelId;
        call.sendMetadata(routingMetadata(routing, requestId));
        admission?.settle(result.usage.inputTokens);
        charged = {
          status: 200,
          routing,
          observation: {
            usage: { inputTokens: result.usage.inputTokens, outputTokens: 0 },
            textDeltas: 0,
            failed: false,
          },
        };
        const embeddings = openAIEmbeddings(body, result, routing.modelId);
        return {
          model: routing.modelId,
          embeddings: embeddings.data.map((item) => ({ values: item.embedding })),
          usage: {
            input_tokens: result.usage.inputTokens,
            output_tokens: 0,
            total_tokens: result.usage.inputTokens,
          },
          routing: routingMessage(routing),
        };
      } catch (error) {
        status = toOpenAIError(error).status;
        throw error;
      } finally {
        admission?.settle(0);
        meter?.settle(charged ?? { status });
        tracked.end(status);
      }
    }),
  };
}
