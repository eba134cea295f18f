/**
 * OpenAI-style tools on models that learned them through their chat template. The
 * template renders the tool list; the output is parsed for the common call formats
 * (Hermes/Qwen `<tool_call>{...}</tool_call>`, Llama 3.1's bare `{"name", "parameters"}`),
 * and a required tool is enforced with a JSON-schema grammar.
 */
import type { JSONSchema, ModelV1FunctionTool, ModelV1ToolCall } from '@llmr/core';

export interface ParsedToolCalls {
  toolCalls: ModelV1ToolCall[];
  /** Text outside the calls. */
  text: string;
}

let counter = 0;
const nextId = () => `call_${Date.now().toString(36)}${(counter++).toString(36)}`;

function toCall(
  value: unknown,
  tools: readonly ModelV1FunctionTool[],
): ModelV1ToolCall | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const name = record.name;
  const args = record.arguments ?? record.parameters ?? {};
  if (typeof name !== 'string' || !tools.some((tool) => tool.name === name)) return undefined;
  return {
    id: nextId(),
    toolName: name,
    arguments: typeof args === 'string' ? args : JSON.stringify(args),
  };
}

export function parseToolCalls(
  output: string,
  tools: readonly ModelV1FunctionTool[],
): ParsedToolCalls {
  const toolCalls: ModelV1ToolCall[] = [];
  const tagged = /<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/g;
  let text = output;
  for (const match of output.matchAll(tagged)) {
    try {
      const call = toCall(JSON.parse(match[1]!), tools);
      if (call) {
        toolCalls.push(call);
        text = text.replace(match[0], '');
      }
    } catch {
      // Not JSON: leave it in the text.
    }
  }
  if (toolCalls.length === 0) {
    const trimmed = output.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        const parsed = JSON.parse(trimmed) as unknown;
        for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
          const call = toCall(item, tools);
          if (call) toolCalls.push(call);
        }
        if (toolCalls.length) text = '';
      } catch {
        // Plain text that happens to start with a brace.
      }
    }
  }
  return { toolCalls, text: text.trim() === '' ? '' : text };
}

/** The schema a required call must follow: one of the tools, by name, with its arguments. */
export function toolCallSchema(tools: readonly ModelV1FunctionTool[]): JSONSchema {
  const variants = tools.map((tool) => ({
    type: 'object',
    properties: { name: { const: tool.name }, arguments: tool.parameters ?? { type: 'object' } },
    required: ['name', 'arguments'],
  }));
  return variants.length === 1 ? variants[0]! : { oneOf: variants };
}
