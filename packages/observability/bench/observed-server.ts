/**
 * One llmr server for the bench, in a process of its own (so that what one setup turns on,
 * such as an AsyncLocalStorage that slows every promise, cannot tax another), in one of
 * four setups (argv[2]):
 * - `plain`: no observability, the baseline;
 * - `off`: every tracing hook in place (models wrapped, router events, the request
 *   plugin) and tracing off: what tracing costs when nobody turned it on;
 * - `on`: the same with tracing on, every span exported over OTLP/HTTP to argv[3]
 *   (protobuf, or `LLMR_BENCH_PROTOCOL`);
 * - `requests`: tracing on with `detail: 'requests'`: one span per request, no context
 *   manager;
 * - `full`: everything the CLI wires (GenAI metrics, SLOs, an experiment, feedback),
 *   tracing off: the cost of those features, which do work on every request.
 * On `{ block: n }` over IPC it serves n chat requests through Fastify's `inject` (every
 * hook, no sockets, no client process competing for the machine) and answers the CPU
 * time they took; for `on` that includes flushing the exporter, so export is charged too.
 * `{ profile: 'start' | 'stop' }` profiles the blocks in between (see `profile-shares.ts`).
 */
import { setupTracing } from '../src/index';
import { chatBlock } from './chat-block';
import { createObservedServer, type Setup } from './create-observed-server';
import { startProfiling } from './profile-shares';

const [setup = 'plain', endpoint] = process.argv.slice(2) as [Setup?, string?];
const tracing =
  setup === 'on' || setup === 'requests'
    ? await setupTracing({
        endpoint,
        detail: setup === 'on' ? 'full' : 'requests',
        ...(process.env.LLMR_BENCH_PROTOCOL
          ? { protocol: process.env.LLMR_BENCH_PROTOCOL as 'http/protobuf' | 'http/json' }
          : {}),
      })
    : undefined;
const server = await createObservedServer(setup);
let profiling: Awaited<ReturnType<typeof startProfiling>> | undefined;
process.on('message', (message: { block?: number; stop?: boolean; profile?: 'start' | 'stop' }) => {
  if (message.profile === 'start') {
    void startProfiling().then((started) => {
      profiling = started;
      process.send?.({ profiling: true });
    });
    return;
  }
  if (message.profile === 'stop') {
    void profiling?.stop().then((shares) => process.send?.({ shares }));
    return;
  }
  if (message.stop) {
    void server
      .shutdown()
      .then(() => tracing?.shutdown())
      .then(() => process.exit(0));
    return;
  }
  void (async () => {
    const before = process.cpuUsage();
    await chatBlock(server, message.block ?? 0);
    await tracing?.forceFlush();
    const spent = process.cpuUsage(before);
    process.send?.({ cpuMicros: spent.user + spent.system });
  })().catch((error: unknown) => {
    process.send?.({ error: String(error) });
  });
});
process.send?.({ ready: true });
