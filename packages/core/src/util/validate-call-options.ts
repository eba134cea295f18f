import { InvalidArgumentError } from '../errors/errors';
import type { ModelV1CallOptions } from '../model/v1/model-v1-call-options';
import type { ModelV1Message } from '../model/v1/model-v1-prompt';

function fail(argument: string, value: unknown, message: string): never {
  throw new InvalidArgumentError({ argument, value, message });
}

interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  exclusiveMin?: boolean;
}

// Module constants, not literals per call: every request is validated several times on its
// way (server, router, model), and the checks should allocate nothing when they pass.
const ROLES = ['system', 'user', 'assistant', 'tool'];
const MAX_TOKENS: NumberRule = { min: 0, integer: true, exclusiveMin: true };
const TEMPERATURE: NumberRule = { min: 0, max: 100 };
const TOP_P: NumberRule = { min: 0, max: 1, exclusiveMin: true };
const TOP_K: NumberRule = { min: 0, integer: true };
const MIN_P: NumberRule = { min: 0, max: 1 };
const POSITIVE: NumberRule = { min: 0, exclusiveMin: true };
const PENALTY: NumberRule = { min: -2, max: 2 };
const INTEGER: NumberRule = { integer: true };
const TOP_LOGPROBS: NumberRule = { min: 0, max: 20, integer: true };

function checkNumber(name: string, value: unknown, rule: NumberRule) {
  const { min, max, integer = false, exclusiveMin = false } = rule;
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(name, value, `${name} must be a finite number; got ${JSON.stringify(value)}.`);
  }
  if (integer && !Number.isInteger(value))
    fail(name, value, `${name} must be an integer; got ${value}.`);
  if (min !== undefined && (exclusiveMin ? value <= min : value < min)) {
    fail(
      name,
      value,
      `${name} must be ${exclusiveMin ? 'greater than' : 'at least'} ${min}; got ${value}.`,
    );
  }
  if (max !== undefined && value > max)
    fail(name, value, `${name} must be at most ${max}; got ${value}.`);
}

/**
 * Checks call options every model accepts the same way, so every plugin answers the
 * same clear InvalidArgumentError for the same mistake.
 */
export function validateCallOptions(input: ModelV1CallOptions): void {
  // Treat input as untrusted: it may come straight from JSON.
  const options = input as Omit<ModelV1CallOptions, 'prompt' | 'messages'> & {
    prompt?: unknown;
    messages?: unknown;
  };
  if (options == null || typeof options !== 'object') {
    fail('options', options, 'Call options must be an object with `messages` or `prompt`.');
  }
  const hasMessages = options.messages !== undefined;
  const hasPrompt = options.prompt !== undefined;
  if (hasMessages === hasPrompt) {
    fail(
      'messages',
      undefined,
      'Pass exactly one of `messages` (chat) or `prompt` (raw completion).',
    );
  }
  const prompt = options.prompt;
  if (hasPrompt && typeof prompt !== 'string') {
    fail('prompt', prompt, '`prompt` must be a string.');
  }
  if (hasMessages) {
    const messages = options.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      fail('messages', messages, '`messages` must be a non-empty array.');
    }
    const list = messages as ModelV1Message[];
    for (let index = 0; index < list.length; index++) {
      const message = list[index]!;
      if (!message || !ROLES.includes(message.role)) {
        fail(
          `messages[${index}].role`,
          message?.role,
          `messages[${index}].role must be one of ${ROLES.join(', ')}.`,
        );
      }
      if (typeof message.content !== 'string') {
        fail(
          `messages[${index}].content`,
          message.content,
          `messages[${index}].content must be a string.`,
        );
      }
      if (message.role === 'tool' && typeof message.toolCallId !== 'string') {
        fail(
          `messages[${index}].toolCallId`,
          message.toolCallId,
          `messages[${index}] is a tool message and needs a toolCallId.`,
        );
      }
    }
  }
  checkNumber('maxTokens', options.maxTokens, MAX_TOKENS);
  checkNumber('temperature', options.temperature, TEMPERATURE);
  checkNumber('topP', options.topP, TOP_P);
  checkNumber('topK', options.topK, TOP_K);
  checkNumber('minP', options.minP, MIN_P);
  checkNumber('repetitionPenalty', options.repetitionPenalty, POSITIVE);
  checkNumber('frequencyPenalty', options.frequencyPenalty, PENALTY);
  checkNumber('presencePenalty', options.presencePenalty, PENALTY);
  checkNumber('seed', options.seed, INTEGER);
  checkNumber('topLogprobs', options.topLogprobs, TOP_LOGPROBS);
  if (options.stopSequences !== undefined) {
    if (
      !Array.isArray(options.stopSequences) ||
      options.stopSequences.some((stop) => typeof stop !== 'string' || stop.length === 0)
    ) {
      fail(
        'stopSequences',
        options.stopSequences,
        '`stopSequences` must be an array of non-empty strings.',
      );
    }
  }
}
