/**
 * The plugin registry: loaders and engines are registered here, and a source is
 * resolved to the loader most confident it can load it. Every resolution explains
 * itself (who was asked, what each said), so "why did it pick that?" has an answer.
 */
import type { EngineV1 } from '../engine/v1/engine-v1';
import { InvalidArgumentError, NoSuchLoaderError } from '../errors/errors';
import type { LoaderV1, LoaderV1LoadOptions } from '../loader/v1/loader-v1';
import type { ModelV1 } from '../model/v1/model-v1';
import { type EngineCandidate, rankEngines } from './rank-engines';

export interface LoaderCandidate {
  loader: string;
  confidence: number;
  reason?: string;
  /** Set when `canLoad` threw; the loader is then treated as confidence 0. */
  error?: string;
}

export interface LoaderResolution {
  source: string;
  loader: LoaderV1;
  confidence: number;
  /** Every loader asked, best first. */
  candidates: LoaderCandidate[];
  /** One line saying what was chosen and why. */
  explanation: string;
}

export interface EngineSelection {
  engine: EngineV1;
  candidates: EngineCandidate[];
  explanation: string;
}

export interface Registry {
  registerLoader(loader: LoaderV1): Registry;
  registerEngine(engine: EngineV1): Registry;
  readonly loaders: readonly LoaderV1[];
  readonly engines: readonly EngineV1[];
  resolveLoader(source: string): Promise<LoaderResolution>;
  /** Resolves the source and loads it with the winning loader. */
  load(
    source: string,
    options?: LoaderV1LoadOptions,
  ): Promise<ModelV1 & { resolution: LoaderResolution }>;
  /** The best available engine: GPU before NPU before CPU, then registration order. */
  selectEngine(options?: { prefer?: string }): Promise<EngineSelection>;
}

function assertPlugin(plugin: { specificationVersion?: unknown; name?: unknown }, kind: string) {
  if (plugin?.specificationVersion !== 'v1' || typeof plugin.name !== 'string') {
    throw new InvalidArgumentError({
      argument: kind,
      value: plugin,
      message: `A ${kind} must have specificationVersion 'v1' and a string name; got ${String(
        plugin?.specificationVersion,
      )}/${String(plugin?.name)}.`,
    });
  }
}

export function createRegistry(
  plugins: { loaders?: LoaderV1[]; engines?: EngineV1[] } = {},
): Registry {
  const loaders: LoaderV1[] = [];
  const engines: EngineV1[] = [];

  const registry: Registry = {
    loaders,
    engines,
    registerLoader(loader) {
      assertPlugin(loader, 'loader');
      if (loaders.some((existing) => existing.name === loader.name)) {
        throw new InvalidArgumentError({
          argument: 'loader',
          message: `A loader named "${loader.name}" is already registered.`,
        });
      }
      loaders.push(loader);
      return registry;
    },
    registerEngine(engine) {
      assertPlugin(engine, 'engine');
      if (engines.some((existing) => existing.name === engine.name)) {
        throw new InvalidArgumentError({
          argument: 'engine',
          message: `An engine named "${engine.name}" is already registered.`,
        });
      }
      engines.push(engine);
      return registry;
    },

    async resolveLoader(source) {
      if (typeof source !== 'string' || source.length === 0) {
        throw new InvalidArgumentError({
          argument: 'source',
          value: source,
          message: 'A model source must be a non-empty string (a path, file:, hf:, http(s): URI).',
        });
      }
      const candidates = await Promise.all(
        loaders.map(async (loader, order): Promise<LoaderCandidate & { order: number }> => {
          try {
            const answer = await loader.canLoad(source);
            const { confidence, reason } =
              typeof answer === 'number' ? { confidence: answer, reason: undefined } : answer;
            const clamped = Number.isFinite(confidence) ? Math.min(1, Math.max(0, confidence)) : 0;
            return { loader: loader.name, confidence: clamped, reason, order };
          } catch (error) {
            return {
              loader: loader.name,
              confidence: 0,
              error: error instanceof Error ? error.message : String(error),
              order,
            };
          }
        }),
      );
      // Highest confidence wins; ties go to the loader registered first.
      candidates.sort((a, b) => b.confidence - a.confidence || a.order - b.order);
      const best = candidates[0];
      if (!best || best.confidence <= 0) {
        throw new NoSuchLoaderError({ source, tried: loaders.map((loader) => loader.name) });
      }
      const loader = loaders[best.order]!;
      const others = candidates
        .slice(1)
        .map((candidate) => `${candidate.loader} ${candidate.confidence.toFixed(2)}`)
        .join(', ');
      return {
        source,
        loader,
        confidence: best.confidence,
        candidates: candidates.map(({ order: _order, ...candidate }) => candidate),
        explanation:
          `"${source}" -> ${loader.name} (confidence ${best.confidence.toFixed(2)}` +
          `${best.reason ? `: ${best.reason}` : ''})${others ? `; also asked: ${others}` : ''}`,
      };
    },

    async load(source, options) {
      const resolution = await registry.resolveLoader(source);
      const model = await resolution.loader.doLoad(source, options);
      return Object.assign(model, { resolution });
    },

    async selectEngine(options = {}) {
      const rows = await Promise.all(
        engines.map(async (engine) => {
          let available = false;
          try {
            available = await engine.isAvailable();
          } catch {
            available = false;
          }
          return { name: engine.name, device: engine.capabilities.device, available };
        }),
      );
      const ranking = rankEngines(rows, options);
      return {
        engine: engines[ranking.index]!,
        candidates: ranking.candidates,
        explanation: ranking.explanation,
      };
    },
  };

  for (const loader of plugins.loaders ?? []) registry.registerLoader(loader);
  for (const engine of plugins.engines ?? []) registry.registerEngine(engine);
  return registry;
}
