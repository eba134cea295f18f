/** ModelV1 call options -> an OpenAI request body (chat or completions). */
import type { ModelV1CallOptions, ModelV1Message } from '@llmr/core';

export type OpenAIMessage =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: {
        id: string;
        type: 'function';
        function: { name: string; arguments: string };
      }[];
    }
  | { role: 'tool'; tool_call_id: string; content: string };

export function toOpenAIMessages(messages: readonly ModelV1Message[]): OpenAIMessage[] {
  return messages.map((message): OpenAIMessage => {
    switch (message.role) {
      case 'assistant':
        return {
          role: 'assistant',
          content: message.content,
          ...(message.toolCalls?.length
            ? {
                tool_calls: message.toolCalls.map((call) => ({
                  id: call.id,
                  type: 'function' as const,
                  function: { name: call.toolName, arguments: call.arguments },
                })),
              }
            : {}),
        };
      case 'tool':
        return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
      default:
        return { role: message.role, content: message.content };
    }
  });
}

export function toOpenAIBody(
  modelId: string,
  options: ModelV1CallOptions,
  endpoint: 'chat' | 'completions',
  extra: { stream: boolean; includeUsage: boolean; providerOptions?: Record<string, unknown> },
): Record<string, unknown> {
  const body: Record<string, unknown> = { model: modelId };
  if (endpoint === 'chat') {
    body.messages =
      options.messages !== undefined
        ? toOpenAIMessages(options.messages)
        : [{ role: 'user', content: options.prompt }];
  } else {
    body.prompt = options.prompt ?? options.messages?.map((message) => message.content).join('\n');
  }
  const set = (key: string, value: unknown) => {
    if (value !== undefined) body[key] = value;
  };
  set('max_tokens', options.maxTokens);
  set('temperature', options.temperature);
  set('top_p', options.topP);
  // Not in OpenAI's API, but vLLM, llama-server and Ollama accept them; sent only when set.
  set('top_k', options.topK);
  set('min_p', options.minP);
  set('repetition_penalty', options.repetitionPenalty);
  set('frequency_penalty', options.frequencyPenalty);
  set('presence_penalty', options.presencePenalty);
  set('seed', options.seed);
  if (options.stopSequences?.length) body.stop = options.stopSequences;
  if (options.logprobs) {
    if (endpoint === 'chat') {
      body.logprobs = true;
      set('top_logprobs', options.topLogprobs);
    } else body.logprobs = options.topLogprobs ?? 0;
  }
  const format = options.responseFormat;
  if (format?.type === 'json') {
    body.response_format = format.schema
      ? {
          type: 'json_schema',
          json_schema: { name: format.name ?? 'response', schema: format.schema, strict: true },
        }
      : { type: 'json_object' };
  } else if (format?.type === 'grammar') {
    body.grammar = format.grammar; // llama-server's GBNF field
  }
  if (options.tools?.length) {
    body.tools = options.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        parameters: tool.parameters,
      },
    }));
    const choice = options.toolChoice;
    if (choice)
      body.tool_choice =
        choice.type === 'tool'
          ? { type: 'function', function: { name: choice.toolName } }
          : choice.type;
  }
  if (extra.stream) {
    body.stream = true;
    if (extra.includeUsage) body.stream_options = { include_usage: true };
  }
  return { ...body, ...extra.providerOptions };
}
