/**
 * What tracing costs when it is off, measured inside one process: a plain server (no
 * observability) and the same server with every tracing hook in place (models wrapped,
 * router events followed, the request plugin registered) and tracing off, built side by side
 * and taking turns in blocks of chat requests through Fastify's `inject`, each pair in the
 * same round. One process shares the JIT's and the machine's state between both sides, so
 * the pairs are far tighter than those of separate processes (`pnpm bench`).
 * `LLMR_BENCH_CONTROL=1` pairs the plain server with a second plain server: the noise floor.
 *
 *   pnpm --filter @llmr/observability bench:off          # target: under 2%
 */
import { isTracingEnabled } from '../src/index';
import { chatBlock } from './chat-block';
import { createObservedServer } from './create-observed-server';
import { pairedBlocks, printPairedTable } from './paired-blocks';

const BLOCK = Number(process.env.LLMR_BENCH_BLOCK ?? 200);
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? 60);
const control = process.env.LLMR_BENCH_CONTROL === '1';

const plain = await createObservedServer('plain');
const hooked = await createObservedServer(control ? 'plain' : 'off');
if (isTracingEnabled()) throw new Error('Tracing must be off here: unset the OTEL_* variables.');

async function block(withHooks: boolean): Promise<number> {
  const before = process.cpuUsage();
  await chatBlock(withHooks ? hooked : plain, BLOCK);
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / BLOCK;
}

const result = await pairedBlocks(block, ROUNDS);
printPairedTable(
  [
    'no observability',
    control ? 'no observability again (A/A control)' : 'tracing hooks in place, tracing off',
  ],
  result,
);
console.log(
  JSON.stringify({
    bench: 'tracing-off-in-process',
    control,
    node: process.version,
    blockRequests: BLOCK,
    rounds: ROUNDS,
    cpuMicrosPerRequest: { plain: result.without, off: result.with },
    cost: result.cost,
    costQuartiles: result.costQuartiles,
    quietCost: result.quietCost,
    target: 0.02,
    met: result.cost < 0.02,
  }),
);
await plain.shutdown();
await hooked.shutdown();
