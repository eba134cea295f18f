/**
 * An A/B experiment: variants (a model, a route, or call parameters such as temperature
 * and a system prompt), their traffic split, what the assignment key is, guardrails that
 * stop it, and the analysis plan (alpha and the number of planned looks, which sets the
 * peeking correction). Validation names the field that is wrong.
 */
import { ObservabilityError } from '../errors';

export interface VariantParameters {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  /** Replaces the request's system message (or is added when it has none). */
  systemPrompt?: string;
}

export interface ExperimentVariant {
  name: string;
  /** Relative share of traffic; default 1. */
  weight?: number;
  /** Serve this variant with this model id. */
  model?: string;
  /** Or through this route / router profile. */
  route?: string;
  parameters?: VariantParameters;
}

export interface ExperimentGuardrails {
  /** Stop when a variant's error rate is above this (0..1). */
  maxErrorRate?: number;
  /** Stop when a variant's mean latency is above this. */
  maxMeanLatencyMs?: number;
  /** Samples per variant before a guardrail may act; default 50. */
  minSamples?: number;
}

export type ExperimentMetric =
  | 'latencyMs'
  | 'timeToFirstTokenMs'
  | 'outputTokens'
  | 'cost'
  | 'errorRate'
  | 'feedback';

export interface ExperimentDefinition {
  id: string;
  description?: string;
  /** The first variant is the control every other is compared with. */
  variants: ExperimentVariant[];
  /** Which request field keys the sticky assignment; default `user`. */
  assignBy?: 'user' | 'session' | 'key';
  /** Only requests on this route take part (e.g. `/v1/chat/completions`). */
  route?: string;
  guardrails?: ExperimentGuardrails;
  /** Family-wise false-positive rate across all planned looks; default 0.05. */
  alpha?: number;
  /** How many times the results will be analyzed; each look tests at alpha / plannedLooks. Default 1. */
  plannedLooks?: number;
  /** The metric the decision rests on; default `errorRate`. */
  primaryMetric?: ExperimentMetric;
}

function invalid(field: string, message: string): ObservabilityError {
  return new ObservabilityError({ code: 'invalid-experiment', message: `${field}: ${message}` });
}

export function validateExperiment(definition: ExperimentDefinition): void {
  if (!definition.id || !/^[A-Za-z0-9._-]{1,100}$/.test(definition.id)) {
    throw invalid('id', 'is required: 1-100 letters, digits, ".", "_" or "-".');
  }
  if (!Array.isArray(definition.variants) || definition.variants.length < 2) {
    throw invalid('variants', 'needs at least two variants (a control and a treatment).');
  }
  const names = new Set<string>();
  definition.variants.forEach((variant, index) => {
    const at = `variants[${index}]`;
    if (!variant.name) throw invalid(`${at}.name`, 'is required.');
    if (names.has(variant.name)) throw invalid(`${at}.name`, `"${variant.name}" is used twice.`);
    names.add(variant.name);
    const weight = variant.weight ?? 1;
    if (!(weight >= 0) || !Number.isFinite(weight))
      throw invalid(`${at}.weight`, 'must be a finite number >= 0.');
    const temperature = variant.parameters?.temperature;
    if (temperature !== undefined && !(temperature >= 0 && temperature <= 2)) {
      throw invalid(`${at}.parameters.temperature`, 'must be between 0 and 2.');
    }
  });
  if (definition.variants.every((variant) => (variant.weight ?? 1) === 0)) {
    throw invalid('variants', 'at least one variant needs a weight above 0.');
  }
  const alpha = definition.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 0.5)) throw invalid('alpha', 'must be between 0 and 0.5 (e.g. 0.05).');
  const looks = definition.plannedLooks ?? 1;
  if (!Number.isInteger(looks) || looks < 1 || looks > 1000) {
    throw invalid('plannedLooks', 'must be a whole number from 1 to 1000.');
  }
}

export type ExperimentStatus = 'draft' | 'running' | 'stopped';
