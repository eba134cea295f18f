/**
 * Anthropic Messages requests -> ModelV1 call options, and ModelV1 results -> Anthropic
 * messages, stop reasons and usage. Tool results travel as ModelV1 tool messages, tool
 * uses as assistant tool calls with their input as a JSON string.
 */
import { randomUUID } from 'node:crypto';
import {
  InvalidArgumentError,
  type ModelV1CallOptions,
  type ModelV1FinishReason,
  type ModelV1GenerateResult,
  type ModelV1Message,
  type ModelV1Usage,
} from '@llmr/core';
import type { AnthropicPromptBody, AnthropicTextBlock, MessagesBody } from './schemas';

const joinText = (content: string | AnthropicTextBlock[] | undefined): string =>
  typeof content === 'string' ? content : (content ?? []).map((block) => block.text).join('');

export function anthropicMessages(body: AnthropicPromptBody): ModelV1Message[] {
  const messages: ModelV1Message[] = [];
  const system = joinText(body.system);
  if (system) messages.push({ role: 'system', content: system });
  body.messages.forEach((message, index) => {
    if (typeof message.content === 'string') {
      messages.push({ role: message.role, content: message.content });
      return;
    }
    let textContent = '';
    const toolCalls: { id: string; toolName: string; arguments: string }[] = [];
    for (const block of message.content) {
      if (block.type === 'text') textContent += block.text;
      else if (block.type === 'tool_use') {
        if (message.role !== 'assistant' || !block.id || !block.name)
          throw new InvalidArgumentError({
            argument: `messages.${index}.content`,
            value: block.type,
            message: `messages.${index}: a tool_use block belongs to an assistant message and needs an id and a name.`,
          });
        toolCalls.push({
          id: block.id,
          toolName: block.name,
          arguments: JSON.stringify(block.input ?? {}),
        });
      } else {
        if (message.role !== 'user' || !block.tool_use_id)
          throw new InvalidArgumentError({
            argument: `messages.${index}.content`,
            value: block.type,
            message: `messages.${index}: a tool_result block belongs to a user message and needs a tool_use_id.`,
          });
        messages.push({
          role: 'tool',
          toolCallId: block.tool_use_id,
          content: joinText(block.content),
        });
      }
    }
    if (message.role === 'assistant')
      messages.push({
        role: 'assistant',
        content: textContent,
        ...(toolCalls.length ? { toolCalls } : {}),
      });
    else if (textContent) messages.push({ role: 'user', content: textContent });
  });
  return messages;
}

export function anthropicCallOptions(body: MessagesBody, signal: AbortSignal): ModelV1CallOptions {
  const choice = body.tool_choice;
  if (choice?.type === 'tool' && !choice.name)
    throw new InvalidArgumentError({
      argument: 'tool_choice.name',
      value: undefined,
      message: 'tool_choice: {"type": "tool"} needs the name of the tool to use.',
    });
  return {
    messages: anthropicMessages(body),
    maxTokens: body.max_tokens,
    abortSignal: signal,
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...(body.top_p !== undefined ? { topP: body.top_p } : {}),
    ...(body.top_k !== undefined ? { topK: body.top_k } : {}),
    ...(body.stop_sequences?.length ? { stopSequences: body.stop_sequences } : {}),
    ...(body.tools?.length
      ? {
          tools: body.tools.map((tool) => ({
            type: 'function' as const,
            name: tool.name,
            ...(tool.description ? { description: tool.description } : {}),
            parameters: tool.input_schema,
          })),
        }
      : {}),
    ...(choice
      ? {
          toolChoice:
            choice.type === 'any'
              ? { type: 'required' as const }
              : choice.type === 'tool'
                ? { type: 'tool' as const, toolName: choice.name! }
                : { type: choice.type },
        }
      : {}),
  };
}

export function anthropicStopReason(
  reason: ModelV1FinishReason,
  metadata: Record<string, unknown> | undefined,
): { stop_reason: string; stop_sequence: string | null } {
  const stopSequence = typeof metadata?.stopSequence === 'string' ? metadata.stopSequence : null;
  switch (reason) {
    case 'length':
      return { stop_reason: 'max_tokens', stop_sequence: null };
    case 'tool-calls':
      return { stop_reason: 'tool_use', stop_sequence: null };
    case 'content-filter':
      return { stop_reason: 'refusal', stop_sequence: null };
    default:
      return stopSequence !== null
        ? { stop_reason: 'stop_sequence', stop_sequence: stopSequence }
        : { stop_reason: 'end_turn', stop_sequence: null };
  }
}

export const anthropicUsage = (usage: ModelV1Usage | undefined) => ({
  input_tokens: usage?.inputTokens ?? 0,
  output_tokens: usage?.outputTokens ?? 0,
  ...(usage?.cachedInputTokens !== undefined
    ? { cache_read_input_tokens: usage.cachedInputTokens }
    : {}),
});

export const anthropicMessageId = () => `msg_${randomUUID().replaceAll('-', '').slice(0, 24)}`;

/** Tool-call arguments back to an object; a model that wrote no JSON gets it wrapped, not dropped. */
export function toolInput(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text || '{}') as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { value: parsed };
  } catch {
    return { _raw: text };
  }
}

export function anthropicResponse(
  id: string,
  model: string,
  result: ModelV1GenerateResult,
): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [
      ...(result.text ? [{ type: 'text', text: result.text }] : []),
      ...(result.toolCalls ?? []).map((call) => ({
        type: 'tool_use',
        id: call.id,
        name: call.toolName,
        input: toolInput(call.arguments),
      })),
    ],
    ...anthropicStopReason(result.finishReason, result.metadata),
    usage: anthropicUsage(result.usage),
  };
}
