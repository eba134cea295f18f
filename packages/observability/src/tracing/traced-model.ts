/**
 * A ModelV1 that reports each call: a GenAI span (`chat <model>` with the request
 * parameters, the usage, the finish reason and the time to first token) and the GenAI
 * metrics. Wrap each model once where it is registered; callers see the same model.
 */
import type {
  ModelV1,
  ModelV1CallOptions,
  ModelV1GenerateResult,
  ModelV1StreamResult,
} from '@llmr/core';
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import type { GenAiMetrics } from '../metrics/gen-ai-metrics';
import { GenAiAttribute, type GenAiOperation, LlmrAttribute } from './gen-ai-attributes';
import { observeStream } from './observe-stream';
import { callContextOf, requestIdOfCall, withAmbientContext } from './request-contexts';
import { recordSpanError } from './spans';
import { hasContextManager, isStepTracingEnabled, llmrTracer } from './tracing-state';

export interface TraceModelOptions {
  metrics?: GenAiMetrics;
  /** `gen_ai.provider.name`; default `llmr`. */
  provider?: string;
  /** Reads the clock; default `performance.now`. */
  now?: () => number;
}

function operationOf(options: ModelV1CallOptions): GenAiOperation {
  return options.messages ? 'chat' : 'text_completion';
}

/** The span's attributes, built in one object and handed to `startSpan` (no setAttribute calls). */
function requestAttributes(
  model: ModelV1,
  options: ModelV1CallOptions,
  provider: string,
  stream: boolean,
): Attributes {
  const attributes: Attributes = {
    [GenAiAttribute.operationName]: operationOf(options),
    [GenAiAttribute.providerName]: provider,
    [GenAiAttribute.requestModel]: model.info.id,
    [LlmrAttribute.stream]: stream,
  };
  if (options.temperature !== undefined)
    attributes[GenAiAttribute.requestTemperature] = options.temperature;
  if (options.topP !== undefined) attributes[GenAiAttribute.requestTopP] = options.topP;
  if (options.topK !== undefined) attributes[GenAiAttribute.requestTopK] = options.topK;
  if (options.maxTokens !== undefined)
    attributes[GenAiAttribute.requestMaxTokens] = options.maxTokens;
  if (options.seed !== undefined) attributes[GenAiAttribute.requestSeed] = options.seed;
  if (options.stopSequences !== undefined)
    attributes[GenAiAttribute.requestStopSequences] = options.stopSequences;
  return attributes;
}

/** What one call measured, filled in as it runs. */
class CallRecord {
  firstTokenAt: number | undefined;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  constructor(
    readonly model: ModelV1,
    readonly options: ModelV1CallOptions,
    readonly span: Span | undefined,
    /** The span's context: where the provider's upstream call belongs. */
    readonly spanContext: Context | undefined,
    readonly settings: TraceModelOptions,
    readonly now: () => number,
    readonly startedAt: number,
  ) {}

  finish(outcome: { finishReason?: string; error?: unknown }): void {
    const ended = this.now();
    const errorType =
      outcome.error === undefined
        ? undefined
        : String(
            (outcome.error as { code?: unknown })?.code ??
              (outcome.error as { name?: unknown })?.name ??
              'Error',
          );
    if (this.span) {
      // One setAttributes call: each setAttribute checks and copies on its own.
      const attributes: Attributes = { [GenAiAttribute.responseModel]: this.model.info.id };
      if (this.inputTokens !== undefined)
        attributes[GenAiAttribute.usageInputTokens] = this.inputTokens;
      if (this.outputTokens !== undefined)
        attributes[GenAiAttribute.usageOutputTokens] = this.outputTokens;
      if (outcome.finishReason)
        attributes[GenAiAttribute.responseFinishReasons] = [outcome.finishReason];
      if (this.firstTokenAt !== undefined)
        attributes[LlmrAttribute.timeToFirstToken] = (this.firstTokenAt - this.startedAt) / 1000;
      this.span.setAttributes(attributes);
      if (outcome.error !== undefined) recordSpanError(this.span, outcome.error);
      this.span.end();
    }
    this.settings.metrics?.observe({
      operation: operationOf(this.options),
      requestModel: this.model.info.id,
      responseModel: this.model.info.id,
      errorType,
      durationSeconds: (ended - this.startedAt) / 1000,
      timeToFirstTokenSeconds:
        this.firstTokenAt === undefined ? undefined : (this.firstTokenAt - this.startedAt) / 1000,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
    });
  }
}

export function traceModel(model: ModelV1, settings: TraceModelOptions = {}): ModelV1 {
  const provider = settings.provider ?? 'llmr';
  const now = settings.now ?? (() => performance.now());

  function begin(options: ModelV1CallOptions, stream: boolean): CallRecord {
    let span: Span | undefined;
    let spanContext: Context | undefined;
    if (isStepTracingEnabled()) {
      const attributes = requestAttributes(model, options, provider, stream);
      // Under the router's attempt for this request, found by the id the router puts on the call.
      const parent = callContextOf(requestIdOfCall(options)) ?? context.active();
      span = llmrTracer().startSpan(
        `${attributes[GenAiAttribute.operationName]} ${model.info.id}`,
        { kind: SpanKind.CLIENT, attributes },
        parent,
      );
      spanContext = trace.setSpan(parent, span);
    }
    return new CallRecord(model, options, span, spanContext, settings, now, now());
  }

  /**
   * Starts the wrapped call with the model span as the ambient context, so a provider's
   * traced fetch (called before its first await) nests under it; with a context manager,
   * as the active context too.
   */
  function inSpan<T>(record: CallRecord, work: () => Promise<T>): Promise<T> {
    const spanContext = record.spanContext;
    if (!spanContext) return work();
    return withAmbientContext(spanContext, () =>
      hasContextManager() ? context.with(spanContext, work) : work(),
    );
  }

  const traced: ModelV1 = {
    specificationVersion: 'v1',
    info: model.info,
    tokenizer: model.tokenizer,
    doGenerate(options): Promise<ModelV1GenerateResult> {
      // Nothing to report to: the model's own promise, no record, no wrapper (not even an
      // async function's promise: tracing that is off must cost nothing).
      if (!settings.metrics && !isStepTracingEnabled()) return model.doGenerate(options);
      return generateTraced(options);
    },
    doStream(options): Promise<ModelV1StreamResult> {
      if (!settings.metrics && !isStepTracingEnabled()) return model.doStream(options);
      return streamTraced(options);
    },
    dispose: () => model.dispose(),
  };

  async function generateTraced(options: ModelV1CallOptions): Promise<ModelV1GenerateResult> {
    const record = begin(options, false);
    try {
      const result = await inSpan(record, () => model.doGenerate(options));
      record.inputTokens = result.usage.inputTokens;
      record.outputTokens = result.usage.outputTokens;
      record.finish({ finishReason: result.finishReason });
      return result;
    } catch (error) {
      record.finish({ error });
      throw error;
    }
  }

  async function streamTraced(options: ModelV1CallOptions): Promise<ModelV1StreamResult> {
    const record = begin(options, true);
    let result: ModelV1StreamResult;
    try {
      result = await inSpan(record, () => model.doStream(options));
    } catch (error) {
      record.finish({ error });
      throw error;
    }
    let done = false;
    const settle = (outcome: { finishReason?: string; error?: unknown }) => {
      if (done) return;
      done = true;
      record.finish(outcome);
    };
    // The model's own stream, watched as it is read: no second stream per call.
    const observed = observeStream(result.stream, {
      part(part) {
        if (part.type === 'text-delta' || part.type === 'tool-call-delta') {
          record.firstTokenAt ??= now();
        } else if (part.type === 'usage') {
          record.inputTokens = part.usage.inputTokens;
          record.outputTokens = part.usage.outputTokens;
        } else if (part.type === 'finish') {
          settle({ finishReason: part.finishReason });
        } else if (part.type === 'error') {
          settle({ error: part.error });
        }
      },
      end: () => settle({ finishReason: 'stop' }),
      // A consumer's cancel (a client that hung up) ends the span too.
      fail: (error) => settle({ error }),
    });
    return { ...result, stream: observed };
  }

  if (model.doEmbed) {
    const embed = model.doEmbed.bind(model);
    traced.doEmbed = (options) => embed(options);
  }
  return traced;
}
