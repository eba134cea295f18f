/**
 * Where a process's CPU went, from a V8 CPU profile: the share of busy samples whose own
 * code is this package's or OpenTelemetry's, and the garbage collector's share. A sample in
 * Node's or V8's own code (a Map lookup, a promise, `Buffer#toString`) counts for the
 * nearest JavaScript function up its stack: that work was done for it. A share is
 * a ratio within one run, so a machine that slows everything down leaves it unchanged; it
 * misses indirect costs (an AsyncLocalStorage slowing every promise), which the CPU-time
 * pairs of the bench do see.
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  children?: number[];
}

/** Node's and V8's own frames (builtins, `node:` modules), charged to their JavaScript caller. */
const isRuntimeFrame = (url: string) => url === '' || url.startsWith('node:');

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
  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  let busy = 0;
  let observability = 0;
  let openTelemetry = 0;
  let garbageCollector = 0;
  for (const sampled of profile.samples ?? []) {
    const leaf = nodes.get(sampled)?.callFrame;
    if (!leaf || leaf.functionName === '(idle)') continue;
    busy++;
    if (leaf.functionName === '(garbage collector)') {
      garbageCollector++;
      continue;
    }
    let id: number | undefined = sampled;
    while (id !== undefined && isRuntimeFrame(nodes.get(id)!.callFrame.url)) id = parents.get(id);
    const url = id === undefined ? '' : nodes.get(id)!.callFrame.url;
    if (url.includes('@opentelemetry')) openTelemetry++;
    else if (/observability\/(src|dist)\//.test(url) && !url.includes('/bench/')) observability++;
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
