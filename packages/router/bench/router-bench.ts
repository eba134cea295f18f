/**
 * Router overhead, measured two ways (run with `pnpm --filter @llmr/router bench`):
 * 1. routing decision time (capability filters + strategy ranking) for 10, 100 and
 *    1,000 registered models, per strategy, in microseconds, in two scenarios: static
 *    (nothing changes between decisions) and changing (before every decision one model's
 *    in-flight count goes up or down, as leases do, and every 16th decision also records
 *    an outcome and a latency, as a server under load does);
 * 2. end to end: time to first token and tokens/s through router.stream() vs calling
 *    the same instant mock model's doStream() directly, in the same run.
 * Prints a table, then one JSON line. LLMR_BENCH_SHORT=1 runs a quarter of the iterations.
 */
import { cpus, loadavg } from 'node:os';
import type { ModelV1, ModelV1StreamPart } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { builtinStrategyNames, createRouter } from '../src/index';

const now = () => performance.now();
/** LLMR_BENCH_SHORT=1: a quarter of the iterations (a smoke run of a few seconds). */
const scale = process.env.LLMR_BENCH_SHORT === '1' ? 0.25 : 1;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// ---------------------------------------------------------------- decisions

type Scenario = 'static' | 'changing';
const scenarios: Scenario[] = ['static', 'changing'];

function decisionBench() {
  const shared = createMockModel({ mode: 'random' });
  const rows: {
    scenario: Scenario;
    models: number;
    strategy: string;
    microseconds: number;
    cpuMicroseconds: number;
  }[] = [];
  for (const scenario of scenarios)
    for (const count of [10, 100, 1000]) {
      const router = createRouter({
        models: Array.from({ length: count }, (_, index) => ({
          id: `model-${index}`,
          model: shared,
          pricing: { input: (index % 7) + 0.1, output: (index % 11) + 0.2 },
          quality: (index % 10) / 10,
          speed: { ttftMs: 50 + (index % 13) * 10, tokensPerSecond: 20 + (index % 17) * 5 },
          weight: (index % 5) + 1,
        })),
        routes: Object.fromEntries(
          builtinStrategyNames.map((strategy) => [strategy, { strategy }]),
        ),
        seed: 1,
      });
      const request = {
        messages: [
          { role: 'user' as const, content: 'What is the capital of France? Answer briefly.' },
        ],
        maxTokens: 64,
      };
      // The live numbers a server's leases and outcomes move (what the snapshots watch).
      const runtime = router['runtime'];
      const stats = Array.from({ length: count }, (_, index) => runtime.statsFor(`model-${index}`));
      let step = 0;
      // One model's in-flight count +1 on even steps and -1 (the same model) on odd ones,
      // a different model each pair; every 16th step an outcome and a latency sample too.
      const change = () => {
        const model = stats[((step >>> 1) * 7919) % count]!;
        if ((step & 1) === 0) model.start(0);
        else model.end();
        if ((step & 15) === 15) {
          model.recordOutcome(step % 97 !== 15);
          model.ttft.record(40 + (step % 200));
        }
        step++;
      };
      const decide =
        scenario === 'static'
          ? (model: string) => router.route({ ...request, model })
          : (model: string) => {
              change();
              return router.route({ ...request, model });
            };
      for (const strategy of builtinStrategyNames) {
        const iterations = (count === 1000 ? 2_000 : count === 100 ? 10_000 : 40_000) * scale;
        // At least 2,500 decisions of warm-up: on a fresh 1,000-model router the first
        // ~2,000 still pay for the major collection of its setup's garbage and the tier-up
        // of the decision code (2-3x steady state); the table reports steady state.
        const warmUp = Math.max(iterations / 4, 2_500 * scale);
        for (let index = 0; index < warmUp; index++) decide(strategy);
        const samples: number[] = [];
        const cpu = process.cpuUsage();
        for (let round = 0; round < 5; round++) {
          const started = now();
          for (let index = 0; index < iterations / 5; index++) decide(strategy);
          samples.push(((now() - started) * 1000) / (iterations / 5));
        }
        const used = process.cpuUsage(cpu);
        // CPU time too: on a shared machine, wall time also counts time spent descheduled.
        rows.push({
          scenario,
          models: count,
          strategy,
          microseconds: Number(median(samples).toFixed(2)),
          cpuMicroseconds: Number(((used.user + used.system) / iterations).toFixed(2)),
        });
      }
    }
  return rows;
}

// ---------------------------------------------------------------- end to end

async function consume(stream: ReadableStream<ModelV1StreamPart>, started: number) {
  const reader = stream.getReader();
  let firstTokenAt: number | undefined;
  let tokens = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value.type === 'text-delta') {
      firstTokenAt ??= now();
      tokens += value.tokens?.length ?? 1;
    }
  }
  const ended = now();
  return {
    ttftMs: (firstTokenAt ?? ended) - started,
    tokensPerSecond: tokens / ((ended - started) / 1000),
    tokens,
  };
}

async function endToEndBench(maxTokens: number, runs: number) {
  const model: ModelV1 = createMockModel({ mode: 'random', seed: 5 });
  const router = createRouter({
    models: [
      { id: 'instant', model },
      { id: 'spare', model: createMockModel({ mode: 'random' }) },
    ],
    strategy: 'balanced',
  });
  const request = { prompt: 'Once upon a time', maxTokens, seed: 1, temperature: 0.8 };
  const direct: { ttftMs: number; tokensPerSecond: number }[] = [];
  const routed: { ttftMs: number; tokensPerSecond: number }[] = [];
  // Interleaved, after a warm-up, so both see the same machine state.
  for (let run = -5; run < runs; run++) {
    let started = now();
    const a = await consume((await model.doStream(request)).stream, started);
    started = now();
    const b = await consume((await router.stream({ ...request, model: 'auto' })).stream, started);
    if (run >= 0) {
      direct.push(a);
      routed.push(b);
    }
  }
  const summary = (samples: typeof direct) => ({
    ttftMs: Number(median(samples.map((sample) => sample.ttftMs)).toFixed(4)),
    tokensPerSecond: Math.round(median(samples.map((sample) => sample.tokensPerSecond))),
  });
  return { maxTokens, runs, direct: summary(direct), router: summary(routed) };
}

const decisions = decisionBench();
const endToEnd = [
  await endToEndBench(1, Math.round(300 * scale)),
  await endToEndBench(256, Math.round(60 * scale)),
];

const load = loadavg().map((value) => Number(value.toFixed(2)));
console.log(
  `Routing decision time (route(): filters + ranking), microseconds per decision, wall (median of 5 rounds) / CPU; load average ${load.join(' ')} on ${cpus().length} CPUs`,
);
const counts = [10, 100, 1000];
console.log(
  `${'strategy'.padEnd(16)}${scenarios.flatMap((scenario) => counts.map((count) => `${scenario} ${count}`.padStart(16))).join('')}`,
);
for (const strategy of builtinStrategyNames) {
  const cells = scenarios.flatMap((scenario) =>
    counts.map((count) => {
      const row = decisions.find(
        (candidate) =>
          candidate.scenario === scenario &&
          candidate.models === count &&
          candidate.strategy === strategy,
      )!;
      return `${row.microseconds.toFixed(1)} / ${row.cpuMicroseconds.toFixed(1)}`.padStart(16);
    }),
  );
  console.log(`${strategy.padEnd(16)}${cells.join('')}`);
}
console.log('');
console.log(
  'End to end through router.stream() vs direct doStream() (instant mock model, medians)',
);
console.log(
  `${'maxTokens'.padEnd(11)}${'direct TTFT ms'.padStart(16)}${'router TTFT ms'.padStart(16)}${'direct tok/s'.padStart(14)}${'router tok/s'.padStart(14)}`,
);
for (const row of endToEnd) {
  console.log(
    `${String(row.maxTokens).padEnd(11)}${row.direct.ttftMs.toFixed(4).padStart(16)}${row.router.ttftMs.toFixed(4).padStart(16)}${String(row.direct.tokensPerSecond).padStart(14)}${String(row.router.tokensPerSecond).padStart(14)}`,
  );
}
console.log(
  JSON.stringify({
    bench: 'router',
    node: process.version,
    cpus: cpus().length,
    loadAverage: load,
    decisions,
    endToEnd,
  }),
);
