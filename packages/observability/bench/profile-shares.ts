/**
 * Where a process's CPU went, from a V8 CPU profile: the share of busy samples whose own
 * code is this package's or OpenTelemetry's, and the garbage collector's share. A share is
 * a ratio within one run, so a machine that slows everything down leaves it unchanged; it
 * misses indirect costs (an AsyncLocalStorage slowing every promise), which the CPU-time
 * pairs of the bench do see.
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}

export interface ProfileShares {
  busySamples: number;
  /** This package's own code (`@llmr/observability`). */
  observability: number;
  /** The OpenTelemetry API, SDK and exporter. */
  openTelemetry: number;
  garbageCollector: number;
}

function sharesOf(profile: { nodes: ProfileNode[]; samples?: number[] }): ProfileShares {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  let busy = 0;
  let observability = 0;
  let openTelemetry = 0;
  let garbageCollector = 0;
  for (const id of profile.samples ?? []) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    busy++;
    if (frame.functionName === '(garbage collector)') garbageCollector++;
    else if (frame.url.includes('@opentelemetry')) openTelemetry++;
    else if (/observability\/(src|dist)\//.test(frame.url) && !frame.url.includes('/bench/'))
      observability++;
  }
  const share = (count: number) => (busy === 0 ? 0 : count / busy);
  return {
    busySamples: busy,
    observability: share(observability),
    openTelemetry: share(openTelemetry),
    garbageCollector: share(garbageCollector),
  };
}

/** Profiles this process between `start` and `stop`. */
export async function startProfiling(): Promise<{ stop(): Promise<ProfileShares> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = (await session.post('Profiler.stop')) as {
        profile: { nodes: ProfileNode[]; samples?: number[] };
      };
      session.disconnect();
      return sharesOf(profile);
    },
  };
}
