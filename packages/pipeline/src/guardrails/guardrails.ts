/**
 * The guardrails stage: redacts personal data and secrets from the request (and, when
 * asked, from the answer), refuses requests that hit a deny list or exceed a token
 * limit, and reports each refusal as a ContentPolicyError naming the rule. Checking the
 * answer needs all of it, so only then does the stage buffer a stream.
 */
import {
  ContentPolicyError,
  type ModelMiddlewareV1,
  type ModelV1,
  type ModelV1CallOptions,
} from '@llmr/core';
import { StageOptions } from '../stage-options';
import { PII_KINDS, type PiiKind, redactPii } from './pii-detectors';

export interface GuardrailsOptions {
  /** PII kinds to redact (default: all of email, phone, card, iban, api-key). `[]` turns redaction off. */
  redact?: PiiKind[];
  /** Also redact the answer, and check it against the deny list (buffers streams). Default false. */
  output?: boolean;
  /**
   * Refuse requests containing any of these: a phrase (case-insensitive, whole words),
   * or `/regex/flags`. The rule id is `deny-list:<the entry>`.
   */
  deny?: string[];
  /** Exact strings that are never redacted nor denied (a support address, a test card). */
  allow?: string[];
  /** Refuse prompts over this many tokens (the model's tokenizer, else ~4 characters a token). */
  maxInputTokens?: number;
}

const STAGE = 'guardrails';
/** Bounds the cost of config-supplied patterns. */
const MAX_DENY_ENTRIES = 1_000;
const MAX_DENY_ENTRY_LENGTH = 500;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileDenyEntry(entry: string, options: StageOptions, index: number): RegExp {
  if (entry.length === 0 || entry.length > MAX_DENY_ENTRY_LENGTH)
    options.fail(`deny[${index}]`, entry, `must be 1 to ${MAX_DENY_ENTRY_LENGTH} characters`);
  const literal = /^\/(.+)\/([imsu]*)$/.exec(entry);
  try {
    if (literal) return new RegExp(literal[1]!, literal[2]);
    // Any run of whitespace in a phrase matches any run in the text.
    const phrase = entry.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
    return new RegExp(`(?<![\\p{L}\\p{N}])${phrase}(?![\\p{L}\\p{N}])`, 'iu');
  } catch (error) {
    return options.fail(
      `deny[${index}]`,
      entry,
      `is not a valid regular expression (${(error as Error).message})`,
    );
  }
}

function countTokens(model: ModelV1, text: string): number {
  // Special tokens (BOS) are the template's, not the caller's: they are not counted.
  return model.tokenizer
    ? model.tokenizer.encode(text, { addSpecialTokens: false }).length
    : Math.ceil(text.length / 4);
}

export function createGuardrails(
  options: GuardrailsOptions | Record<string, unknown> = {},
): ModelMiddlewareV1 {
  const read = new StageOptions(STAGE, options as Record<string, unknown>, [
    'redact',
    'output',
    'deny',
    'allow',
    'maxInputTokens',
  ]);
  const redact = (read.strings('redact') ?? [...PII_KINDS]) as PiiKind[];
  redact.forEach((kind, index) => {
    if (!PII_KINDS.includes(kind))
      read.fail(`redact[${index}]`, kind, `must be one of ${PII_KINDS.join(', ')}`);
  });
  const checkOutput = read.boolean('output') ?? false;
  const denyEntries = read.strings('deny') ?? [];
  if (denyEntries.length > MAX_DENY_ENTRIES)
    read.fail('deny', denyEntries.length, `may hold at most ${MAX_DENY_ENTRIES} entries`);
  const deny = denyEntries.map((entry, index) => ({
    id: `deny-list:${entry}`,
    pattern: compileDenyEntry(entry, read, index),
  }));
  const allow = new Set(read.strings('allow') ?? []);
  const maxInputTokens = read.positiveInteger('maxInputTokens');

  /** Allowed strings are cut out before the deny list looks, so they can never match. */
  const checkDenied = (text: string, direction: 'input' | 'output') => {
    let visible = text;
    for (const allowed of allow) visible = visible.split(allowed).join(' ');
    for (const rule of deny) {
      if (rule.pattern.test(visible))
        throw new ContentPolicyError({
          ruleId: rule.id,
          stage: STAGE,
          direction,
          message: `The ${direction === 'input' ? 'request' : 'answer'} was refused by the guardrail rule "${rule.id}". ${direction === 'input' ? 'Rephrase the request without it.' : 'Ask differently or contact the operator.'}`,
        });
    }
  };
  const clean = (text: string) =>
    redact.length === 0 ? text : redactPii(text, redact, (match) => allow.has(match.text)).text;

  const transformOptions = ({
    options: call,
    model,
  }: {
    options: ModelV1CallOptions;
    model: ModelV1;
  }) => {
    const texts = call.messages ? call.messages.map((message) => message.content) : [call.prompt];
    for (const text of texts) checkDenied(text, 'input');
    const shaped: ModelV1CallOptions = call.messages
      ? {
          ...call,
          messages: call.messages.map((message) => ({
            ...message,
            content: clean(message.content),
          })),
        }
      : { ...call, prompt: clean(call.prompt) };
    if (maxInputTokens !== undefined) {
      const inputTokens = (
        shaped.messages?.map((message) => message.content) ?? [shaped.prompt ?? '']
      )
        .map((text) => countTokens(model, text))
        .reduce((sum, count) => sum + count, 0);
      if (inputTokens > maxInputTokens)
        throw new ContentPolicyError({
          ruleId: 'max-input-tokens',
          stage: STAGE,
          direction: 'input',
          message: `The request has ${inputTokens} input tokens; this route allows at most ${maxInputTokens}. Shorten it.`,
        });
    }
    return shaped;
  };

  return {
    specificationVersion: 'v1',
    name: STAGE,
    ...(checkOutput
      ? {
          output: 'buffered' as const,
          async wrapGenerate({ doGenerate }) {
            const result = await doGenerate();
            checkDenied(result.text, 'output');
            return { ...result, text: clean(result.text) };
          },
        }
      : {}),
    transformOptions,
  };
}
