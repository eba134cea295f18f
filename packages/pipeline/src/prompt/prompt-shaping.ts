/**
 * The prompt-shaping stage: injects a system prompt and renders the user's message
 * through a template with variables. Variables come from the stage's options and, per
 * request, from `providerOptions.pipeline.variables`; a template that names a variable
 * nobody supplied fails the request with the names missing, rather than sending
 * `{{placeholders}}` to the model. Only the input changes, so tokens pass through.
 */
import {
  InvalidArgumentError,
  type ModelMiddlewareV1,
  type ModelV1CallOptions,
  type ModelV1Message,
} from '@llmr/core';
import { StageOptions } from '../stage-options';

export interface PromptShapingOptions {
  /** A system prompt (itself a template). */
  system?: string;
  /** `prepend` (default): before any system message of the request; `replace` it; `if-missing`. */
  systemMode?: 'prepend' | 'replace' | 'if-missing';
  /** Renders the last user message (or the raw prompt); `{{input}}` is what the caller sent. */
  template?: string;
  /** Values for `{{name}}` placeholders; a request's `providerOptions.pipeline.variables` override them. */
  variables?: Record<string, string>;
}

const STAGE = 'prompt-shaping';
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const SYSTEM_MODES = ['prepend', 'replace', 'if-missing'] as const;

function render(template: string, variables: Record<string, string>, where: string): string {
  const missing = new Set<string>();
  const text = template.replace(PLACEHOLDER, (placeholder, name: string) => {
    const value = variables[name];
    if (value === undefined) missing.add(name);
    return value ?? placeholder;
  });
  if (missing.size > 0)
    throw new InvalidArgumentError({
      argument: 'providerOptions.pipeline.variables',
      value: [...missing],
      message: `The ${where} template needs ${[...missing].map((name) => `"${name}"`).join(', ')}: pass ${missing.size === 1 ? 'it' : 'them'} in providerOptions.pipeline.variables or in the stage's variables.`,
    });
  return text;
}

function requestVariables(call: ModelV1CallOptions): Record<string, string> {
  const variables = call.providerOptions?.pipeline?.variables;
  if (variables === undefined) return {};
  if (
    variables === null ||
    typeof variables !== 'object' ||
    Object.values(variables).some((value) => typeof value !== 'string')
  )
    throw new InvalidArgumentError({
      argument: 'providerOptions.pipeline.variables',
      value: variables,
      message: '`providerOptions.pipeline.variables` must be an object of strings.',
    });
  return variables as Record<string, string>;
}

export function createPromptShaping(
  options: PromptShapingOptions | Record<string, unknown> = {},
): ModelMiddlewareV1 {
  const read = new StageOptions(STAGE, options as Record<string, unknown>, [
    'system',
    'systemMode',
    'template',
    'variables',
  ]);
  const system = read.string('system');
  const systemMode = read.string('systemMode') ?? 'prepend';
  if (!(SYSTEM_MODES as readonly string[]).includes(systemMode))
    read.fail('systemMode', systemMode, `must be one of ${SYSTEM_MODES.join(', ')}`);
  const template = read.string('template');
  const defaults = read.record('variables') ?? {};
  for (const [name, value] of Object.entries(defaults))
    if (typeof value !== 'string') read.fail(`variables.${name}`, value, 'must be a string');
  if (system === undefined && template === undefined)
    read.fail('system', undefined, 'or `template` must be set, or the stage does nothing');

  return {
    specificationVersion: 'v1',
    name: STAGE,
    transformOptions({ options: call }) {
      const variables = { ...(defaults as Record<string, string>), ...requestVariables(call) };
      if (call.messages === undefined) {
        let prompt = template
          ? render(template, { ...variables, input: call.prompt }, 'prompt')
          : call.prompt;
        if (system !== undefined) prompt = `${render(system, variables, 'system')}\n\n${prompt}`;
        return { ...call, prompt };
      }
      let messages: ModelV1Message[] = [...call.messages];
      if (template !== undefined) {
        let last = messages.length - 1;
        while (last >= 0 && messages[last]!.role !== 'user') last--;
        if (last >= 0) {
          const message = messages[last]!;
          messages[last] = {
            ...message,
            content: render(template, { ...variables, input: message.content }, 'prompt'),
          } as ModelV1Message;
        }
      }
      if (system !== undefined) {
        const content = render(system, variables, 'system');
        const existing = messages.findIndex((message) => message.role === 'system');
        if (existing < 0) messages = [{ role: 'system', content }, ...messages];
        else if (systemMode === 'replace') messages[existing] = { role: 'system', content };
        else if (systemMode === 'prepend')
          messages[existing] = {
            role: 'system',
            content: `${content}\n\n${messages[existing]!.content}`,
          };
      }
      return { ...call, messages };
    },
  };
}
