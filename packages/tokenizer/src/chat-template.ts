/**
 * Chat templates (Jinja, as in tokenizer_config.json) rendered with @huggingface/jinja.
 * llmr's messages are mapped to the shape the templates were written for: `tool_calls`
 * with `function: { name, arguments }` and `tool_call_id`.
 */
import { Template } from '@huggingface/jinja';
import {
  LlmrError,
  type ModelV1FunctionTool,
  type ModelV1Message,
  type TokenizerV1ChatTemplateOptions,
} from '@llmr/core';

export interface ChatTemplateOptions extends TokenizerV1ChatTemplateOptions {
  /** Pick a template by name when the config lists several (default: `tool_use` with tools, else `default`). */
  templateName?: string;
}

/** A template string, or the named-template form of tokenizer_config.json. */
export type ChatTemplateSource = string | Record<string, string>;

export class ChatTemplateError extends LlmrError {
  readonly templateName: string;
  readonly phase: 'parse' | 'render';
  constructor(options: {
    templateName: string;
    phase: 'parse' | 'render';
    message: string;
    cause?: unknown;
  }) {
    super({ code: 'chat-template-error', message: options.message, cause: options.cause });
    this.name = 'ChatTemplateError';
    this.templateName = options.templateName;
    this.phase = options.phase;
  }
}

/** Reads `chat_template` from tokenizer_config.json: a string or `[{ name, template }]`. */
export function readChatTemplate(value: unknown): ChatTemplateSource | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named: Record<string, string> = {};
    for (const entry of value) {
      if (
        entry &&
        typeof entry === 'object' &&
        typeof entry.name === 'string' &&
        typeof entry.template === 'string'
      ) {
        named[entry.name] = entry.template;
      }
    }
    return Object.keys(named).length > 0 ? named : undefined;
  }
  if (value && typeof value === 'object') {
    const named = Object.fromEntries(
      Object.entries(value).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
    return Object.keys(named).length > 0 ? named : undefined;
  }
  return undefined;
}

function parseArguments(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? parsed : text;
  } catch {
    return text;
  }
}

/** llmr messages in the Hugging Face / OpenAI shape that chat templates expect. */
export function toTemplateMessages(messages: readonly ModelV1Message[]): Record<string, unknown>[] {
  return messages.map((message) => {
    switch (message.role) {
      case 'assistant': {
        const out: Record<string, unknown> = { role: 'assistant', content: message.content };
        if (message.toolCalls && message.toolCalls.length > 0) {
          out.tool_calls = message.toolCalls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.toolName, arguments: parseArguments(call.arguments) },
          }));
        }
        return out;
      }
      case 'tool':
        return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
      default:
        return { role: message.role, content: message.content };
    }
  });
}

export function toTemplateTools(tools: readonly ModelV1FunctionTool[]): Record<string, unknown>[] {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: tool.parameters,
    },
  }));
}

const compiled = new Map<string, Template>();

export function renderChatTemplate(
  source: ChatTemplateSource,
  messages: readonly ModelV1Message[],
  options: ChatTemplateOptions,
  specialTokens: Record<string, string | undefined>,
): string {
  let name = 'default';
  let template: string | undefined;
  if (typeof source === 'string') {
    template = source;
  } else {
    const hasTools = (options.tools?.length ?? 0) > 0;
    name = options.templateName ?? (hasTools && source.tool_use ? 'tool_use' : 'default');
    template = source[name];
    if (template === undefined) {
      throw new ChatTemplateError({
        templateName: name,
        phase: 'parse',
        message: `There is no chat template named "${name}"; the tokenizer config has ${Object.keys(
          source,
        )
          .map((key) => `"${key}"`)
          .join(', ')}.`,
      });
    }
  }
  let parsed = compiled.get(template);
  if (!parsed) {
    try {
      parsed = new Template(template);
    } catch (error) {
      throw new ChatTemplateError({
        templateName: name,
        phase: 'parse',
        message: `The chat template "${name}" could not be parsed: ${(error as Error).message}. Fix chat_template in tokenizer_config.json.`,
        cause: error,
      });
    }
    compiled.set(template, parsed);
  }
  const variables: Record<string, unknown> = {
    ...specialTokens,
    messages: toTemplateMessages(messages),
    add_generation_prompt: options.addGenerationPrompt ?? false,
    ...(options.tools && options.tools.length > 0 ? { tools: toTemplateTools(options.tools) } : {}),
    ...options.variables,
  };
  try {
    return parsed.render(variables);
  } catch (error) {
    throw new ChatTemplateError({
      templateName: name,
      phase: 'render',
      message: `The chat template "${name}" failed while rendering ${messages.length} message(s): ${(error as Error).message}.`,
      cause: error,
    });
  }
}
