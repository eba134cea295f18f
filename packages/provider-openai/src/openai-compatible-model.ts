/**
 * One model behind an OpenAI-compatible HTTP API, as a ModelV1. Chat messages go to
 * /chat/completions and raw prompts to /completions; streams are SSE, parsed as bytes
 * arrive and turned into parts one pull at a time, so a slow reader slows the upstream
 * read and abort takes effect before the next part.
 */
import {
  APICallError,
  type CallScope,
  createSSEPartStream,
  InFlightCalls,
  LlmrError,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1Capability,
  type ModelV1EmbedOptions,
  type ModelV1EmbedResult,
  type ModelV1FinishReason,
  type ModelV1GenerateResult,
  type ModelV1Info,
  type ModelV1StreamPart,
  type ModelV1StreamResult,
  type ModelV1ToolCall,
  type ModelV1Usage,
  ParseError,
  type ProviderConnection,
  postForStream,
  postJSON,
  streamCutPart,
  validateCallOptions,
} from '@llmr/core';
import { toOpenAIBody } from './convert-to-openai';
import {
  mapChatLogprobs,
  mapCompletionLogprobs,
  mapFinishReason,
  mapUsage,
  type OpenAIUsage,
} from './map-openai-response';

export interface OpenAICompatibleModelSettings {
  /** Context length the router filters on (the API does not say). Default 8192 (128000 for `openai`). */
  contextLength?: number;
  /** What the upstream model can do. Default: chat, completion, tools, json-schema, logprobs, embeddings. */
  capabilities?: ModelV1Capability[];
  /** Deadline per request, streaming included. Default: none (use the router's or an AbortSignal). */
  timeoutMs?: number;
  /** Send raw prompts to /completions (default true); false wraps them as one user message for /chat/completions. */
  completions?: boolean;
  /** Ask for usage in streams (stream_options.include_usage). Default true. */
  includeUsage?: boolean;
}

export type OpenAICompatibleConfig = ProviderConnection;

type Chunk = {
  id?: string;
  model?: string;
  error?: { message?: string; type?: string; code?: unknown } | string;
  usage?: OpenAIUsage | null;
  choices?: {
    index?: number;
    text?: string;
    delta?: {
      content?: string | null;
      tool_calls?: {
        index?: number;
        id?: string;
        function?: { name?: string; arguments?: string };
      }[];
    };
    logprobs?: unknown;
    finish_reason?: string | null;
  }[];
};

const defaultCapabilities: ModelV1Capability[] = [
  'chat',
  'completion',
  'tools',
  'json-schema',
  'logprobs',
  'embeddings',
];

export class OpenAICompatibleModel implements ModelV1 {
  readonly specificationVersion = 'v1' as const;
  readonly info: ModelV1Info;
  private readonly calls: InFlightCalls;

  constructor(
    readonly modelId: string,
    private readonly settings: OpenAICompatibleModelSettings,
    private readonly config: OpenAICompatibleConfig,
  ) {
    this.info = {
      id: modelId,
      format: 'openai',
      contextLength: settings.contextLength ?? 8192,
      capabilities: settings.capabilities ?? defaultCapabilities,
    };
    this.calls = new InFlightCalls(modelId);
  }

  private url(path: string): string {
    return `${this.config.baseURL().replace(/\/+$/, '')}${path}`;
  }

  private endpoint(options: ModelV1CallOptions): 'chat' | 'completions' {
    return options.messages !== undefined || this.settings.completions === false
      ? 'chat'
      : 'completions';
  }

  private post(url: string, body: unknown, scope: CallScope): Promise<Response> {
    return postJSON({ fetch: this.config.fetch, url, headers: this.config.headers(), body, scope });
  }

  private body(options: ModelV1CallOptions, endpoint: 'chat' | 'completions', stream: boolean) {
    const providerOptions = options.providerOptions?.[this.config.name];
    return toOpenAIBody(this.modelId, options, endpoint, {
      stream,
      includeUsage: this.settings.includeUsage ?? true,
      ...(providerOptions ? { providerOptions } : {}),
    });
  }

  async doGenerate(options: ModelV1CallOptions): Promise<ModelV1GenerateResult> {
    validateCallOptions(options);
    const endpoint = this.endpoint(options);
    const url = this.url(endpoint === 'chat' ? '/chat/completions' : '/completions');
    const scope = this.calls.begin(url, options.abortSignal, this.settings.timeoutMs);
    try {
      const response = await this.post(url, this.body(options, endpoint, false), scope);
      let json: Chunk & {
        choices?: {
          message?: {
            content?: string | null;
            tool_calls?: { id: string; function: { name: string; arguments: string } }[];
          };
        }[];
      };
      try {
        json = (await response.json()) as typeof json;
      } catch (caught) {
        const error = scope.errorFor(caught);
        if (LlmrError.isInstance(error) && !APICallError.isInstance(error)) throw error;
        throw new ParseError({
          format: 'openai-json',
          code: 'openai-invalid-response',
          message: `${url} answered with a body that is not JSON.`,
          cause: caught,
        });
      }
      if (json.error) throw upstreamError(url, json.error);
      const choice = json.choices?.[0];
      if (!choice)
        throw new ParseError({
          format: 'openai-json',
          code: 'openai-invalid-response',
          message: `${url} answered without choices: ${JSON.stringify(json).slice(0, 200)}`,
        });
      const toolCalls: ModelV1ToolCall[] = (choice.message?.tool_calls ?? []).map((call) => ({
        id: call.id,
        toolName: call.function.name,
        arguments: call.function.arguments,
      }));
      const logprobs =
        endpoint === 'chat'
          ? mapChatLogprobs(choice.logprobs as never)
          : mapCompletionLogprobs(choice.logprobs as never);
      return {
        text: (endpoint === 'chat' ? choice.message?.content : choice.text) ?? '',
        ...(toolCalls.length ? { toolCalls } : {}),
        ...(logprobs ? { logprobs } : {}),
        finishReason: mapFinishReason(choice.finish_reason),
        usage: mapUsage(json.usage) ?? { inputTokens: 0, outputTokens: 0 },
        metadata: { id: json.id, model: json.model },
      };
    } catch (caught) {
      throw scope.signal.aborted ? scope.errorFor(caught) : caught;
    } finally {
      scope.close();
    }
  }

  async doStream(options: ModelV1CallOptions): Promise<ModelV1StreamResult> {
    validateCallOptions(options);
    const endpoint = this.endpoint(options);
    const url = this.url(endpoint === 'chat' ? '/chat/completions' : '/completions');
    const scope = this.calls.begin(url, options.abortSignal, this.settings.timeoutMs);
    const responseBody = await postForStream({
      fetch: this.config.fetch,
      url,
      headers: this.config.headers,
      body: this.body(options, endpoint, true),
      scope,
    });
    return { stream: this.parts(url, endpoint, responseBody, scope) };
  }

  private parts(
    url: string,
    endpoint: 'chat' | 'completions',
    body: ReadableStream<Uint8Array>,
    scope: CallScope,
  ): ReadableStream<ModelV1StreamPart> {
    const tools = new Map<number, { id: string; name: string; arguments: string }>();
    let usage: ModelV1Usage | undefined;
    let finishReason: ModelV1FinishReason | undefined;
    let metadata: Record<string, unknown> = {};
    let deltas = 0;

    const finish = (): ModelV1StreamPart[] => [
      ...[...tools.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(
          ([, call]): ModelV1StreamPart => ({
            type: 'tool-call',
            toolCall: { id: call.id, toolName: call.name, arguments: call.arguments },
          }),
        ),
      { type: 'usage', usage: usage ?? { inputTokens: 0, outputTokens: deltas } },
      {
        type: 'finish',
        finishReason: finishReason ?? (tools.size ? 'tool-calls' : 'stop'),
        metadata,
      },
    ];

    /** One SSE event -> parts (a `finish` or `error` part closes the stream). */
    const handle = (data: string, event: string | undefined): ModelV1StreamPart[] => {
      if (data === '[DONE]') return finish();
      let chunk: Chunk;
      try {
        chunk = JSON.parse(data) as Chunk;
      } catch (caught) {
        return [
          {
            type: 'error',
            error: new ParseError({
              format: 'openai-sse',
              code: 'openai-invalid-sse',
              message: `${url} sent an SSE event that is not JSON: ${data.slice(0, 120)}`,
              cause: caught,
            }),
          },
        ];
      }
      if (chunk.error || event === 'error')
        return [{ type: 'error', error: upstreamError(url, chunk.error ?? data) }];
      if (chunk.id || chunk.model) metadata = { id: chunk.id, model: chunk.model };
      const mapped = mapUsage(chunk.usage);
      if (mapped) usage = mapped;
      const choice = chunk.choices?.[0];
      if (!choice) return [];
      const parts: ModelV1StreamPart[] = [];
      const text = endpoint === 'chat' ? choice.delta?.content : choice.text;
      if (text) {
        deltas++;
        const logprobs =
          endpoint === 'chat'
            ? mapChatLogprobs(choice.logprobs as never)
            : mapCompletionLogprobs(choice.logprobs as never);
        parts.push({ type: 'text-delta', delta: text, ...(logprobs ? { logprobs } : {}) });
      }
      for (const delta of choice.delta?.tool_calls ?? []) {
        const index = delta.index ?? 0;
        const call = tools.get(index) ?? {
          id: delta.id ?? `call_${index}`,
          name: '',
          arguments: '',
        };
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name += delta.function.name;
        const argumentsDelta = delta.function?.arguments ?? '';
        call.arguments += argumentsDelta;
        tools.set(index, call);
        parts.push({
          type: 'tool-call-delta',
          index,
          toolCallId: call.id,
          toolName: call.name,
          argumentsDelta,
        });
      }
      if (choice.finish_reason) finishReason = mapFinishReason(choice.finish_reason);
      return parts;
    };

    return createSSEPartStream({
      url,
      modelId: this.modelId,
      body,
      scope,
      onEvent: (event) => handle(event.data, event.event),
      // EOF after a finish reason is a server that skips [DONE]; before one, a cut.
      onEnd: () => (finishReason !== undefined ? finish() : [streamCutPart(url)]),
    });
  }

  async doEmbed({ values, abortSignal }: ModelV1EmbedOptions): Promise<ModelV1EmbedResult> {
    const url = this.url('/embeddings');
    const scope = this.calls.begin(url, abortSignal, this.settings.timeoutMs);
    try {
      const response = await this.post(
        url,
        { model: this.modelId, input: values, encoding_format: 'float' },
        scope,
      );
      const json = (await response.json()) as {
        data?: { index?: number; embedding: number[] }[];
        usage?: { prompt_tokens?: number };
      };
      const data = [...(json.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      if (data.length !== values.length) {
        throw new ParseError({
          format: 'openai-json',
          code: 'openai-invalid-response',
          message: `${url} returned ${data.length} embeddings for ${values.length} inputs.`,
        });
      }
      return {
        embeddings: data.map((item) => item.embedding),
        usage: { inputTokens: json.usage?.prompt_tokens ?? 0 },
      };
    } catch (caught) {
      throw scope.signal.aborted ? scope.errorFor(caught) : caught;
    } finally {
      scope.close();
    }
  }

  async dispose(): Promise<void> {
    this.calls.dispose();
  }
}

/** An `error` object in a body or SSE event. Server-side failures are worth a retry; others not. */
function upstreamError(url: string, error: Chunk['error'] | string): APICallError {
  const detail = typeof error === 'string' ? { message: error } : (error ?? {});
  const code = typeof detail.code === 'number' ? detail.code : Number(detail.code);
  const statusCode = Number.isInteger(code) && code >= 400 && code < 600 ? code : undefined;
  return new APICallError({
    url,
    ...(statusCode ? { statusCode } : {}),
    message: `${url} reported an error: ${detail.message ?? JSON.stringify(error)}`,
    isRetryable:
      statusCode !== undefined
        ? statusCode === 429 || statusCode >= 500
        : detail.type === 'server_error' || detail.type === 'overloaded_error',
  });
}
