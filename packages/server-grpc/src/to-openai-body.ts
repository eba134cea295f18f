/**
 * llmr.v1 requests -> the REST API's request bodies. gRPC then goes through exactly what
 * REST does: the same JSON-schema validation (same limits, same messages) and the same
 * conversion to call options, so the two APIs cannot drift apart.
 */
import { InvalidArgumentError } from '@llmr/core';
import type {
  ChatMessageMessage,
  ChatRequestMessage,
  CompleteRequestMessage,
  SamplingParameters,
} from './grpc-messages';

type Body = Record<string, unknown>;

function defined(body: Body): Body {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

function parseJson(text: string, argument: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError({
      argument,
      value: text.slice(0, 200),
      message: `${argument} must be a JSON text: ${(error as Error).message}.`,
    });
  }
}

function samplingBody(sampling: SamplingParameters | null): Body {
  if (!sampling) return {};
  return defined({
    max_tokens: sampling.max_tokens?.value,
    temperature: sampling.temperature?.value,
    top_p: sampling.top_p?.value,
    top_k: sampling.top_k?.value,
    min_p: sampling.min_p?.value,
    repetition_penalty: sampling.repetition_penalty?.value,
    frequency_penalty: sampling.frequency_penalty?.value,
    presence_penalty: sampling.presence_penalty?.value,
    seed: sampling.seed?.value,
    stop: sampling.stop.length > 0 ? sampling.stop : undefined,
  });
}

function messageBody(message: ChatMessageMessage): Body {
  return defined({
    role: message.role,
    content: message.content,
    name: message.name || undefined,
    tool_calls: message.tool_calls.length
      ? message.tool_calls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        }))
      : undefined,
    tool_call_id: message.tool_call_id || undefined,
  });
}

const TOOL_CHOICE_MODES: Record<string, string | undefined> = {
  MODE_AUTO: 'auto',
  MODE_NONE: 'none',
  MODE_REQUIRED: 'required',
};

function toolChoiceBody(choice: ChatRequestMessage['tool_choice']): unknown {
  if (!choice) return undefined;
  if (choice.choice === 'function_name' && choice.function_name)
    return { type: 'function', function: { name: choice.function_name } };
  return choice.mode ? TOOL_CHOICE_MODES[choice.mode] : undefined;
}

function responseFormatBody(format: ChatRequestMessage['response_format']): unknown {
  switch (format?.type) {
    case 'TYPE_TEXT':
      return { type: 'text' };
    case 'TYPE_JSON_OBJECT':
      return { type: 'json_object' };
    case 'TYPE_JSON_SCHEMA':
      return {
        type: 'json_schema',
        json_schema: {
          name: format.json_schema_name || 'response',
          schema: parseJson(format.json_schema, 'response_format.json_schema'),
        },
      };
    default:
      return undefined;
  }
}

export function chatBody(request: ChatRequestMessage): Body {
  return defined({
    model: request.model || 'auto',
    messages: request.messages.map(messageBody),
    ...samplingBody(request.sampling),
    tools: request.tools.length
      ? request.tools.map((tool, index) => ({
          type: 'function',
          function: defined({
            name: tool.name,
            description: tool.description || undefined,
            parameters: tool.parameters_json_schema
              ? parseJson(tool.parameters_json_schema, `tools[${index}].parameters_json_schema`)
              : undefined,
          }),
        }))
      : undefined,
    tool_choice: toolChoiceBody(request.tool_choice),
    response_format: responseFormatBody(request.response_format),
    user: request.user || undefined,
  });
}

export function completionBody(request: CompleteRequestMessage): Body {
  return defined({
    model: request.model || 'auto',
    prompt: request.prompt,
    ...samplingBody(request.sampling),
    echo: request.echo || undefined,
    user: request.user || undefined,
  });
}
