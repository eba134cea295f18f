/**
 * One model behind Anthropic's Messages API (`POST /v1/messages`), as a ModelV1. Raw
 * prompts are sent as one user turn (the API has no completions endpoint); streams are
 * Anthropic's SSE events, turned into parts one pull at a time.
 */
import {
  type CallScope,
  createSSEPartStream,
  InFlightCalls,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1Capability,
  type ModelV1GenerateResult,
  type ModelV1Info,
  type ModelV1StreamResult,
  type ModelV1ToolCall,
  ParseError,
  type ProviderConnection,
  postForStream,
  postJSON,
  streamCutPart,
  validateCallOptions,
} from '@llmr/core';
import { AnthropicStreamState } from './anthropic-stream-state';
import { type AnthropicContentBlock, toAnthropicBody } from './convert-to-anthropic';
import {
  type AnthropicUsage,
  mapStopReason,
  mapUsage,
  upstreamError,
} from './map-anthropic-response';

export interface AnthropicModelSettings {
  /** Context length the router filters on (the API does not say). Default 200000. */
  contextLength?: number;
  /** What the model can do. Default: chat, completion (a prompt becomes a user turn), tools. */
  capabilities?: ModelV1Capability[];
  /** Deadline per request, streaming included. Default: none (use the router's or an AbortSignal). */
  timeoutMs?: number;
  /** `max_tokens` when a call sets none (the API requires one). Default 4096. */
  defaultMaxTokens?: number;
}

export type AnthropicConfig = ProviderConnection;

type MessageResponse = {
  id?: string;
  model?: string;
  type?: string;
  content?: (AnthropicContentBlock | { type: string })[];
  stop_reason?: string | null;
  stop_sequence?: string | null;
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
};

const defaultCapabilities: ModelV1Capability[] = ['chat', 'completion', 'tools'];

export class AnthropicMessagesModel implements ModelV1 {
  readonly specificationVersion = 'v1' as const;
  readonly info: ModelV1Info;
  private readonly calls: InFlightCalls;

  constructor(
    readonly modelId: string,
    private readonly settings: AnthropicModelSettings,
    private readonly config: AnthropicConfig,
  ) {
    this.info = {
      id: modelId,
      format: 'anthropic',
      contextLength: settings.contextLength ?? 200_000,
      capabilities: settings.capabilities ?? defaultCapabilities,
    };
    this.calls = new InFlightCalls(modelId);
  }

  private get url(): string {
    return `${this.config.baseURL().replace(/\/+$/, '')}/messages`;
  }

  private body(options: ModelV1CallOptions, stream: boolean) {
    const providerOptions = options.providerOptions?.[this.config.name];
    return toAnthropicBody(this.modelId, options, {
      stream,
      defaultMaxTokens: this.settings.defaultMaxTokens ?? 4096,
      ...(providerOptions ? { providerOptions } : {}),
    });
  }

  private post(url: string, body: unknown, scope: CallScope): Promise<Response> {
    return postJSON({ fetch: this.config.fetch, url, headers: this.config.headers(), body, scope });
  }

  async doGenerate(options: ModelV1CallOptions): Promise<ModelV1GenerateResult> {
    validateCallOptions(options);
    const url = this.url;
    const body = this.body(options, false);
    const scope = this.calls.begin(url, options.abortSignal, this.settings.timeoutMs);
    try {
      const response = await this.post(url, body, scope);
      let text: string;
      try {
        text = await response.text();
      } catch (caught) {
        throw scope.errorFor(caught);
      }
      let json: MessageResponse;
      try {
        json = JSON.parse(text) as MessageResponse;
      } catch (cause) {
        throw new ParseError({
          format: 'anthropic-json',
          code: 'anthropic-invalid-response',
          message: `${url} answered with a body that is not JSON: ${text.slice(0, 200)}`,
          cause,
        });
      }
      if (json.type === 'error' || json.error) throw upstreamError(url, json.error, text);
      if (!Array.isArray(json.content)) {
        throw new ParseError({
          format: 'anthropic-json',
          code: 'anthropic-invalid-response',
          message: `${url} answered without a content array: ${text.slice(0, 200)}`,
        });
      }
      let output = '';
      const toolCalls: ModelV1ToolCall[] = [];
      for (const block of json.content as AnthropicContentBlock[]) {
        if (block.type === 'text') output += block.text;
        else if (block.type === 'tool_use')
          toolCalls.push({
            id: block.id,
            toolName: block.name,
            arguments: JSON.stringify(block.input ?? {}),
          });
      }
      return {
        text: output,
        ...(toolCalls.length ? { toolCalls } : {}),
        finishReason: mapStopReason(json.stop_reason),
        usage: mapUsage(json.usage),
        metadata: {
          id: json.id,
          model: json.model,
          ...(json.stop_sequence ? { stopSequence: json.stop_sequence } : {}),
        },
      };
    } catch (caught) {
      throw scope.signal.aborted ? scope.errorFor(caught) : caught;
    } finally {
      scope.close();
    }
  }

  async doStream(options: ModelV1CallOptions): Promise<ModelV1StreamResult> {
    validateCallOptions(options);
    const url = this.url;
    const body = this.body(options, true);
    const scope = this.calls.begin(url, options.abortSignal, this.settings.timeoutMs);
    const responseBody = await postForStream({
      fetch: this.config.fetch,
      url,
      headers: this.config.headers,
      body,
      scope,
    });
    const state = new AnthropicStreamState(url);
    return {
      stream: createSSEPartStream({
        url,
        modelId: this.modelId,
        body: responseBody,
        scope,
        onEvent: (event) => state.handle(event.data),
        // EOF after a stop reason is a server that skipped message_stop; before one, a cut.
        onEnd: () => (state.hasStopReason ? state.finish() : [streamCutPart(url)]),
      }),
    };
  }

  async dispose(): Promise<void> {
    this.calls.dispose();
  }
}
