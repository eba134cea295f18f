/**
 * The structured-output stage: when a request asks for JSON with a schema, the answer is
 * parsed and validated with Ajv. An invalid answer is retried (once, by default) with the
 * validation errors shown to the model; if it is still invalid the stage fails with
 * OutputValidationError. Validation needs the whole answer, so streams are buffered.
 */
import {
  InvalidArgumentError,
  type JSONSchema,
  type ModelMiddlewareV1,
  type ModelV1CallOptions,
  type ModelV1GenerateResult,
} from '@llmr/core';
import { Ajv, type ValidateFunction } from 'ajv';
import { StageOptions } from '../stage-options';
import { OutputValidationError } from './output-validation-error';

export interface StructuredOutputOptions {
  /** Retries with feedback after an invalid answer (default 1, at most 3). */
  retries?: number;
  /** A schema to enforce when the request gives none (default: only requests with one are checked). */
  schema?: JSONSchema;
}

const STAGE = 'structured-output';
/** Compiled validators kept per schema text; bounded, as schemas arrive with requests. */
const MAX_COMPILED_SCHEMAS = 256;

/** The JSON in an answer: the whole text, or the body of one fenced code block. */
function extractJson(text: string): string {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return (fenced ? fenced[1]! : text).trim();
}

export function createStructuredOutput(
  options: StructuredOutputOptions | Record<string, unknown> = {},
): ModelMiddlewareV1 {
  const read = new StageOptions(STAGE, options as Record<string, unknown>, ['retries', 'schema']);
  const retriesOption = read.raw('retries');
  if (
    retriesOption !== undefined &&
    !(
      Number.isInteger(retriesOption) &&
      (retriesOption as number) >= 0 &&
      (retriesOption as number) <= 3
    )
  )
    read.fail('retries', retriesOption, 'must be an integer from 0 to 3');
  const retries = (retriesOption as number | undefined) ?? 1;
  const defaultSchema = read.record('schema');
  const ajv = new Ajv({ allErrors: true, strict: false });
  const compiled = new Map<string, ValidateFunction>();

  const validatorFor = (schema: JSONSchema): ValidateFunction => {
    const key = JSON.stringify(schema);
    let validate = compiled.get(key);
    if (!validate) {
      try {
        validate = ajv.compile(schema);
      } catch (error) {
        throw new InvalidArgumentError({
          argument: 'responseFormat.schema',
          value: schema,
          message: `The response schema is not a valid JSON Schema: ${(error as Error).message}`,
        });
      }
      if (compiled.size >= MAX_COMPILED_SCHEMAS) compiled.delete(compiled.keys().next().value!);
      compiled.set(key, validate);
    }
    return validate;
  };

  const problemsOf = (text: string, validate: ValidateFunction): string[] => {
    let value: unknown;
    try {
      value = JSON.parse(extractJson(text));
    } catch (error) {
      return [`not valid JSON (${(error as Error).message})`];
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`,
    );
  };

  const withFeedback = (
    call: ModelV1CallOptions,
    answer: string,
    problems: string[],
  ): ModelV1CallOptions => {
    const feedback = `Your previous answer failed validation against the JSON schema: ${problems.join('; ')}. Reply again with only the corrected JSON, nothing else.`;
    if (call.messages)
      return {
        ...call,
        messages: [
          ...call.messages,
          { role: 'assistant', content: answer },
          { role: 'user', content: feedback },
        ],
      };
    return { ...call, prompt: `${call.prompt}${answer}\n\n${feedback}\n` };
  };

  return {
    specificationVersion: 'v1',
    name: STAGE,
    output: 'buffered',
    // Validation with a retry makes any chat model answer schema-shaped JSON, or fail clearly.
    capabilities: ['json-schema'],
    async wrapGenerate({ doGenerate, options: call, model }) {
      const format = call.responseFormat;
      const schema = format?.type === 'json' ? (format.schema ?? defaultSchema) : defaultSchema;
      if (schema === undefined) return doGenerate();
      const validate = validatorFor(schema);
      let current = call;
      let result: ModelV1GenerateResult | undefined;
      let problems: string[] = [];
      for (let attempt = 0; attempt <= retries; attempt++) {
        result = await doGenerate(current);
        problems = problemsOf(result.text, validate);
        if (problems.length === 0)
          return {
            ...result,
            text: extractJson(result.text),
            metadata: { ...result.metadata, structuredOutputAttempts: attempt + 1 },
          };
        current = withFeedback(call, result.text, problems);
      }
      throw new OutputValidationError({
        modelId: model.info.id,
        problems,
        output: result!.text,
        attempts: retries + 1,
      });
    },
  };
}
