/** OpenAI request bodies -> llmr call options, and llmr results -> OpenAI response bodies. */
import type {
  ModelV1CallOptions,
  ModelV1FinishReason,
  ModelV1GenerateResult,
  ModelV1Logprob,
  ModelV1Message,
  ModelV1Usage,
} from '@llmr/core';
import type { ChatCompletionBody, ChatMessageBody, CompletionBody } from './schemas';

function contentText(content: ChatMessageBody['content']): string {
  if (content == null) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

function toMessage(message: ChatMessageBody): ModelV1Message {
  const content = contentText(message.content);
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content };
    case 'user':
      return { role: 'user', content };
    case 'assistant':
      return {
        role: 'assistant',
        content,
        ...(message.tool_calls?.length
          ? {
              toolCalls: message.tool_calls.map((call) => ({
                id: call.id,
                toolName: call.function.name,
                arguments: call.function.arguments,
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: 'tool', toolCallId: message.tool_call_id ?? '', content };
  }
}

function stopSequences(stop: string | string[] | null | undefined): string[] | undefined {
  if (stop == null) return undefined;
  return typeof stop === 'string' ? [stop] : stop;
}

function sampling(body: ChatCompletionBody | CompletionBody) {
  return {
    temperature: body.temperature,
    topP: body.top_p,
    topK: body.top_k,
    minP: body.min_p,
    repetitionPenalty: body.repetition_penalty,
    frequencyPenalty: body.frequency_penalty,
    presencePenalty: body.presence_penalty,
    seed: body.seed,
    stopSequences: stopSequences(body.stop),
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

export function chatCallOptions(
  body: ChatCompletionBody,
  abortSignal: AbortSignal,
): ModelV1CallOptions {
  const format = body.response_format;
  const toolChoice = body.tool_choice;
  return withoutUndefined({
    messages: body.messages.map(toMessage),
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    ...sampling(body),
    logprobs: body.logprobs ?? undefined,
    topLogprobs: body.top_logprobs ?? undefined,
    responseFormat:
      format === undefined || format.type === 'text'
        ? undefined
        : {
            type: 'json' as const,
            schema: format.json_schema?.schema,
            name: format.json_schema?.name,
          },
    tools: body.tools?.map((tool) => ({
      type: 'function' as const,
      name: tool.function.name,
      description: tool.function.description,
      parameters: tool.function.parameters ?? { type: 'object', properties: {} },
    })),
    toolChoice:
      toolChoice === undefined
        ? undefined
        : typeof toolChoice === 'string'
          ? { type: toolChoice }
          : { type: 'tool' as const, toolName: toolChoice.function.name },
    abortSignal,
  }) as ModelV1CallOptions;
}

export function completionCallOptions(
  body: CompletionBody,
  abortSignal: AbortSignal,
): ModelV1CallOptions {
  return withoutUndefined({
    prompt: typeof body.prompt === 'string' ? body.prompt : body.prompt[0]!,
    // OpenAI's default for /v1/completions is 16 tokens.
    maxTokens: body.max_tokens ?? 16,
    ...sampling(body),
    logprobs: body.logprobs != null && body.logprobs > 0 ? true : undefined,
    topLogprobs: body.logprobs ?? undefined,
    abortSignal,
  }) as ModelV1CallOptions;
}

export function openAIFinishReason(reason: ModelV1FinishReason): string {
  switch (reason) {
    case 'tool-calls':
      return 'tool_calls';
    case 'content-filter':
      return 'content_filter';
    case 'length':
      return 'length';
    default:
      return 'stop';
  }
}

export function openAIUsage(usage: ModelV1Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    ...(usage.cachedInputTokens !== undefined
      ? { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } }
      : {}),
  };
}

export function openAIChatLogprobs(logprobs: ModelV1Logprob[] | undefined) {
  if (!logprobs) return null;
  return {
    content: logprobs.map((entry) => ({
      token: entry.token,
      logprob: entry.logprob,
      bytes: entry.bytes ?? null,
      top_logprobs: entry.topLogprobs.map((top) => ({
        token: top.token,
        logprob: top.logprob,
        bytes: top.bytes ?? null,
      })),
    })),
  };
}

export function openAICompletionLogprobs(logprobs: ModelV1Logprob[] | undefined) {
  if (!logprobs) return null;
  let offset = 0;
  const textOffset: number[] = [];
  for (const entry of logprobs) {
    textOffset.push(offset);
    offset += entry.token.length;
  }
  return {
    tokens: logprobs.map((entry) => entry.token),
    token_logprobs: logprobs.map((entry) => entry.logprob),
    top_logprobs: logprobs.map((entry) =>
      Object.fromEntries(entry.topLogprobs.map((top) => [top.token, top.logprob])),
    ),
    text_offset: textOffset,
  };
}

export function chatCompletionResponse(
  id: string,
  created: number,
  model: string,
  result: ModelV1GenerateResult,
) {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: result.toolCalls?.length && !result.text ? null : result.text,
          ...(result.toolCalls?.length
            ? {
                tool_calls: result.toolCalls.map((call) => ({
                  id: call.id,
                  type: 'function',
                  function: { name: call.toolName, arguments: call.arguments },
                })),
              }
            : {}),
        },
        logprobs: openAIChatLogprobs(result.logprobs),
        finish_reason: openAIFinishReason(result.finishReason),
      },
    ],
    usage: openAIUsage(result.usage),
  };
}

export function completionResponse(
  id: string,
  created: number,
  model: string,
  result: ModelV1GenerateResult,
  prefix = '',
) {
  return {
    id,
    object: 'text_completion',
    created,
    model,
    choices: [
      {
        index: 0,
        text: prefix + result.text,
        logprobs: openAICompletionLogprobs(result.logprobs),
        finish_reason: openAIFinishReason(result.finishReason),
      },
    ],
    usage: openAIUsage(result.usage),
  };
}
