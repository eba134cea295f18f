/**
 * Pipelines: the config's `pipeline` section turned into middleware instances, and a
 * model wrapped in them for one attempt. Stage names resolve through the registry of
 * factories given to `createRouter({ stages })`, never through string imports. Stages
 * are built once per config (so a stage may keep state, such as a cache, between
 * requests) and before anything of the new config is put in force, so a stage that
 * refuses its options leaves the running config untouched.
 */
import {
  type ModelMiddlewareV1,
  type ModelV1,
  type ModelV1Capability,
  wrapModel,
} from '@llmr/core';
import type { ResolvedRouterConfig } from '../config/router-config-schema';
import { RouterConfigError, type RouterConfigIssue } from '../errors';
import type { RouterRuntime } from '../router-runtime';

export interface Pipelines {
  routes: Map<string, ModelMiddlewareV1[]>;
  models: Map<string, ModelMiddlewareV1[]>;
}

export function buildPipelines(runtime: RouterRuntime, config: ResolvedRouterConfig): Pipelines {
  const issues: RouterConfigIssue[] = [];
  const build = (kind: 'routes' | 'models') =>
    new Map(
      Object.entries(config.pipeline?.[kind] ?? {}).map(([name, stages]) => [
        name,
        stages.flatMap((stage, index) => {
          const factory = runtime.stageFactories.get(stage.stage);
          const path = `pipeline.${kind}.${name}[${index}]`;
          if (!factory) {
            issues.push({ path: `${path}.stage`, message: `unknown stage "${stage.stage}"` });
            return [];
          }
          try {
            return [factory(stage.options ?? {})];
          } catch (error) {
            issues.push({
              path: `${path}.options`,
              message: `stage "${stage.stage}" refused its options: ${error instanceof Error ? error.message : String(error)}`,
            });
            return [];
          }
        }),
      ]),
    );
  const pipelines = { routes: build('routes'), models: build('models') };
  if (issues.length > 0) throw new RouterConfigError({ issues });
  return pipelines;
}

/** Capabilities the route's and the model's stages add (a structured-output stage adds `json-schema`). */
export function pipelineCapabilities(
  runtime: RouterRuntime,
  route: string | undefined,
  modelId: string,
): ModelV1Capability[] {
  const stages = [
    ...((route !== undefined && runtime.pipelines.routes.get(route)) || []),
    ...(runtime.pipelines.models.get(modelId) ?? []),
  ];
  return stages.flatMap((stage) => stage.capabilities ?? []);
}

/**
 * The model as one attempt calls it: the route's stages outermost, then the model's,
 * then the self-healing watchdog (when on) right on the model's own stream.
 */
export function pipelineModel(
  runtime: RouterRuntime,
  route: string | undefined,
  modelId: string,
  model: ModelV1,
  abort: (reason: unknown) => void,
): ModelV1 {
  const watched = runtime.healing ? runtime.healing.watch(modelId, model, abort) : model;
  const stages = [
    ...((route !== undefined && runtime.pipelines.routes.get(route)) || []),
    ...(runtime.pipelines.models.get(modelId) ?? []),
  ];
  return stages.length === 0 ? watched : wrapModel(watched, stages);
}
