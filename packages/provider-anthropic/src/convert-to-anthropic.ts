/**
 * ModelV1 call options -> an Anthropic Messages request body. System messages become the
 * top-level `system`; tool calls become `tool_use` blocks on the assistant turn and tool
 * results `tool_result` blocks on a user turn; consecutive turns of one role are merged,
 * because the API requires user and assistant to alternate.
 */
import { InvalidArgumentError, type ModelV1CallOptions, type ModelV1Message } from '@llmr/core';

export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string };

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicContentBlock[];
}

function parseToolInput(toolName: string, text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InvalidArgumentError({
      argument: 'messages',
      value: text.slice(0, 200),
      message: `The arguments of tool call "${toolName}" are not JSON; Anthropic needs tool_use input as an object. Send the arguments the model produced, unchanged.`,
      cause,
    });
  }
}

export function toAnthropicMessages(messages: readonly ModelV1Message[]): {
  system?: string;
  messages: AnthropicMessage[];
} {
  const system: string[] = [];
  const turns: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage['role'], blocks: AnthropicContentBlock[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        system.push(message.content);
        break;
      case 'user':
        push('user', [{ type: 'text', text: message.content }]);
        break;
      case 'assistant':
        push('assistant', [
          ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
          ...(message.toolCalls ?? []).map((call) => ({
            type: 'tool_use' as const,
            id: call.id,
            name: call.toolName,
            input: parseToolInput(call.toolName, call.arguments),
          })),
        ]);
        break;
      case 'tool':
        push('user', [
          { type: 'tool_result', tool_use_id: message.toolCallId, content: message.content },
        ]);
        break;
    }
  }
  return { ...(system.length ? { system: system.join('\n\n') } : {}), messages: turns };
}

export function toAnthropicBody(
  modelId: string,
  options: ModelV1CallOptions,
  extra: { stream: boolean; defaultMaxTokens: number; providerOptions?: Record<string, unknown> },
): Record<string, unknown> {
  // Anthropic has no raw-completion endpoint: a prompt is one user turn.
  const { system, messages } = toAnthropicMessages(
    options.messages ?? [{ role: 'user', content: options.prompt }],
  );
  const body: Record<string, unknown> = {
    model: modelId,
    // Required by the API; the model's own limit applies when the caller sets none.
    max_tokens: options.maxTokens ?? extra.defaultMaxTokens,
    messages,
  };
  if (system !== undefined) body.system = system;
  const set = (key: string, value: unknown) => {
    if (value !== undefined) body[key] = value;
  };
  set('temperature', options.temperature);
  set('top_p', options.topP);
  set('top_k', options.topK);
  if (options.stopSequences?.length) body.stop_sequences = options.stopSequences;
  if (options.tools?.length && options.toolChoice?.type !== 'none') {
    body.tools = options.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      input_schema: tool.parameters,
    }));
    const choice = options.toolChoice;
    if (choice?.type === 'required') body.tool_choice = { type: 'any' };
    else if (choice?.type === 'tool') body.tool_choice = { type: 'tool', name: choice.toolName };
    else if (choice?.type === 'auto') body.tool_choice = { type: 'auto' };
  }
  if (extra.stream) body.stream = true;
  return { ...body, ...extra.providerOptions };
}
