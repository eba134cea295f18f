/** Chat messages and tools as a ModelV1 receives them (OpenAI's shapes, named plainly). */

export interface ModelV1ToolCall {
  /** Id that the matching tool message's `toolCallId` refers to. */
  id: string;
  toolName: string;
  /** The arguments as a JSON string, exactly as the model produced them. */
  arguments: string;
}

export interface ModelV1SystemMessage {
  role: 'system';
  content: string;
}

export interface ModelV1UserMessage {
  role: 'user';
  content: string;
}

export interface ModelV1AssistantMessage {
  role: 'assistant';
  content: string;
  toolCalls?: ModelV1ToolCall[];
}

export interface ModelV1ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: string;
}

export type ModelV1Message =
  | ModelV1SystemMessage
  | ModelV1UserMessage
  | ModelV1AssistantMessage
  | ModelV1ToolMessage;

/** A JSON Schema object (draft 2020-12 subset as used by OpenAI tools and response formats). */
export type JSONSchema = { [key: string]: unknown };

export interface ModelV1FunctionTool {
  type: 'function';
  name: string;
  description?: string;
  /** JSON schema of the arguments object. */
  parameters: JSONSchema;
}

export type ModelV1ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' }
  | { type: 'tool'; toolName: string };

export type ModelV1ResponseFormat =
  | { type: 'text' }
  | { type: 'json'; schema?: JSONSchema; name?: string }
  | { type: 'grammar'; grammar: string };
