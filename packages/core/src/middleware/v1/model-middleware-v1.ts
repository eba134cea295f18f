/**
 * The middleware contract: a stage that sits between a caller and a ModelV1, in the
 * spirit of the AI SDK's `wrapLanguageModel`. A stage may rewrite the call options,
 * wrap `doGenerate`, and wrap `doStream`. Stages are typed only against this package, so
 * a third-party stage is an ordinary package that depends on @llmr/core alone.
 */
import type { ModelV1, ModelV1Capability } from '../../model/v1/model-v1';
import type { ModelV1CallOptions } from '../../model/v1/model-v1-call-options';
import type { ModelV1GenerateResult, ModelV1StreamResult } from '../../model/v1/model-v1-result';

export interface ModelMiddlewareV1CallArguments {
  /** The options after this stage's `transformOptions`. */
  options: ModelV1CallOptions;
  /** The model this stage wraps (the next stage in, or the model itself). */
  model: ModelV1;
  /** Calls the inner model; pass options to call it differently (a retry with feedback). */
  doGenerate(options?: ModelV1CallOptions): Promise<ModelV1GenerateResult>;
  doStream(options?: ModelV1CallOptions): Promise<ModelV1StreamResult>;
}

export interface ModelMiddlewareV1 {
  readonly specificationVersion: 'v1';
  /** Shown in errors and routing info, e.g. `guardrails`. */
  readonly name: string;
  /**
   * `pass-through` (the default): tokens flow to the caller as they arrive. `buffered`:
   * the stage needs the whole output (validation, output redaction), so a stream call is
   * run to completion, handed to `wrapGenerate`, and replayed as a stream. A stage that
   * implements `wrapStream` itself is never buffered.
   */
  readonly output?: 'pass-through' | 'buffered';
  /**
   * Capabilities the stage gives the model it wraps: a structured-output stage that
   * validates and retries gives `json-schema` to a model that lacks it. A router counts
   * them when it filters candidates.
   */
  readonly capabilities?: readonly ModelV1Capability[];
  transformOptions?(options: {
    options: ModelV1CallOptions;
    kind: 'generate' | 'stream';
    model: ModelV1;
  }): ModelV1CallOptions | Promise<ModelV1CallOptions>;
  wrapGenerate?(call: ModelMiddlewareV1CallArguments): Promise<ModelV1GenerateResult>;
  wrapStream?(call: ModelMiddlewareV1CallArguments): Promise<ModelV1StreamResult>;
}

/**
 * Builds a stage from its config options (plain JSON from a router config). Synchronous,
 * so a config is checked and put in force in one step. Throw an InvalidArgumentError for
 * options that can never work: the router reports it as a config error at that stage.
 */
export type ModelMiddlewareFactoryV1 = (options: Record<string, unknown>) => ModelMiddlewareV1;
