/**
 * The llmr.v1 messages as the server reads and writes them (proto-loader with keepCase:
 * snake_case fields, enums as strings, unset wrappers as null).
 */

export interface WrappedValue<T> {
  value: T;
}

export interface SamplingParameters {
  max_tokens: WrappedValue<number> | null;
  temperature: WrappedValue<number> | null;
  top_p: WrappedValue<number> | null;
  top_k: WrappedValue<number> | null;
  min_p: WrappedValue<number> | null;
  repetition_penalty: WrappedValue<number> | null;
  frequency_penalty: WrappedValue<number> | null;
  presence_penalty: WrappedValue<number> | null;
  seed: WrappedValue<number> | null;
  stop: string[];
}

export interface ToolCallMessage {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatMessageMessage {
  role: string;
  content: string;
  name: string;
  tool_calls: ToolCallMessage[];
  tool_call_id: string;
}

export interface ChatRequestMessage {
  model: string;
  messages: ChatMessageMessage[];
  sampling: SamplingParameters | null;
  tools: { name: string; description: string; parameters_json_schema: string }[];
  tool_choice: { mode?: string; function_name?: string; choice?: 'mode' | 'function_name' } | null;
  response_format: { type: string; json_schema_name: string; json_schema: string } | null;
  user: string;
}

export interface CompleteRequestMessage {
  model: string;
  prompt: string;
  sampling: SamplingParameters | null;
  echo: boolean;
  user: string;
}

export interface UsageMessage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

export interface RoutingMessage {
  model: string;
  strategy: string;
  attempts: number;
  cached: boolean;
}

export type FinishReasonName =
  | 'FINISH_REASON_UNSPECIFIED'
  | 'FINISH_REASON_STOP'
  | 'FINISH_REASON_LENGTH'
  | 'FINISH_REASON_TOOL_CALLS'
  | 'FINISH_REASON_CONTENT_FILTER'
  | 'FINISH_REASON_ERROR'
  | 'FINISH_REASON_OTHER';
