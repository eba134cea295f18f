/**
 * The edge engine's row for the engine selector: its handlers are for workerd (Cloudflare
 * Workers), Deno and Bun, where it is the engine to pick; on Node or in a browser the row
 * is unavailable and points at the engines that fit there.
 */
import {
  detectPlatform,
  type EngineRow,
  type JavaScriptRuntime,
  type PlatformCapabilities,
} from '@llmr/core';

export const EDGE_ENGINE_NAME = 'engine-edge';

const entryPoints: Partial<Record<JavaScriptRuntime, string>> = {
  workerd: 'createEdgeWorker, a module worker streaming SSE',
  deno: 'serveEdge on Deno.serve',
  bun: 'serveEdge on Bun.serve',
};

export function describeEdgeEngine(platform: Pick<PlatformCapabilities, 'runtime'>): EngineRow {
  const entry = entryPoints[platform.runtime];
  return {
    name: EDGE_ENGINE_NAME,
    device: 'cpu',
    available: entry !== undefined,
    reason: entry
      ? `${platform.runtime}: ${entry}`
      : `${platform.runtime} is not an edge runtime (engine-edge serves workerd, Deno and Bun; on Node use engine-worker or runtime-simple)`,
  };
}

/** The row for the platform this code runs on. */
export async function edgeEngineRow(): Promise<EngineRow> {
  return describeEdgeEngine(await detectPlatform());
}
