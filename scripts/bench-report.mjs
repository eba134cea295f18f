#!/usr/bin/env node
/**
 * Runs every package's benchmark (the `bench` script of each package.json), one at a time,
 * keeps the JSON line each prints last, and writes one summary: bench/results.json (every
 * bench's JSON, status and duration) and bench/results.md (the headline ratios against
 * their targets, then one line per bench). A change's effect on performance is one diff.
 *
 *   node scripts/bench-report.mjs                  every bench, full length
 *   node scripts/bench-report.mjs --short          short runs (LLMR_BENCH_SHORT/SMALL=1)
 *   node scripts/bench-report.mjs --only server,router   (package directory names)
 *
 * Each bench runs under a time limit (--timeout <seconds>; 900, or 300 with --short):
 * one that hangs is stopped and reported as timed out, and the others still run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const short = args.includes('--short');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',')) : undefined;
const timeoutIndex = args.indexOf('--timeout');
const timeoutSeconds = timeoutIndex >= 0 ? Number(args[timeoutIndex + 1]) : short ? 300 : 900;

/**
 * Every package's (and app's) bench: its `bench` script, or the scripts its package.json
 * lists under `benchReport` (e.g. `["bench", "bench:transformers"]`), each a row.
 */
function discoverBenches() {
  const found = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const manifestPath = join(base, name, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      const scripts = Array.isArray(manifest.benchReport) ? manifest.benchReport : ['bench'];
      for (const script of scripts) {
        const command = manifest.scripts?.[script];
        if (typeof command !== 'string') continue;
        found.push({
          name: script === 'bench' ? name : `${name}:${script.slice('bench:'.length)}`,
          directory: join(base, name),
          packageName: manifest.name,
          script,
          command,
        });
      }
    }
  }
  return found;
}

/** Runs one bench in its own process group, so a timeout stops everything it started. */
function runBench(bench) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('pnpm', ['run', '--silent', bench.script], {
      cwd: bench.directory,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...(short ? { LLMR_BENCH_SHORT: '1', LLMR_BENCH_SMALL: '1' } : {}),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    let timedOut = false;
    // SIGTERM first, so that a bench can remove its temporary files; SIGKILL if it lingers.
    const signal = (name) => {
      try {
        process.kill(-child.pid, name);
      } catch {}
    };
    let killer;
    const timer = setTimeout(() => {
      timedOut = true;
      signal('SIGTERM');
      killer = setTimeout(() => signal('SIGKILL'), 10_000);
    }, timeoutSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(killer);
      const seconds = (performance.now() - started) / 1000;
      const result = lastJsonLine(stdout);
      const status = timedOut ? 'timeout' : code === 0 && result ? 'ok' : 'failed';
      resolve({
        status,
        seconds: Number(seconds.toFixed(1)),
        ...(result ? { result } : {}),
        ...(status === 'ok' ? {} : { error: stderr.trim().split('\n').slice(-5).join('\n') }),
      });
    });
  });
}

function lastJsonLine(text) {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line);
      if (parsed && typeof parsed === 'object' && 'bench' in parsed) return parsed;
    } catch {}
  }
  return undefined;
}

/**
 * The headline measures, from the benches that report them: value, target, and
 * whether it is met. `higher`: a ratio that must reach `target`; otherwise a bound to stay under.
 */
const headlines = {
  server(result) {
    const ratios = result.ratios ?? {};
    const rows = [];
    for (const target of ['llmr', 'llmr serve']) {
      const json = ratios[`${target} json req/s vs bare`];
      if (json === undefined) continue;
      rows.push(
        { measure: `${target} JSON req/s vs bare Fastify`, value: json, target: 0.5, higher: true },
        {
          measure: `${target} JSON p50 added (ms, -c 32)`,
          value: ratios[`${target} json p50 added ms`],
          target: 1,
          higher: false,
        },
        {
          measure: `${target} SSE req/s vs bare Fastify`,
          value: ratios[`${target} sse req/s vs bare`],
          target: 0.4,
          higher: true,
        },
        {
          measure: `${target} JSON CPU µs/request added`,
          value: ratios[`${target} json CPU us/request added`],
        },
      );
    }
    return rows;
  },
  router(result) {
    const rows = [];
    for (const decision of result.decisions ?? []) {
      if (decision.models !== 100 && decision.models !== 1000) continue;
      rows.push({
        measure: `routing decision, ${decision.strategy}, ${decision.models} models${decision.scenario === 'changing' ? ', state changing' : ''} (CPU µs)`,
        value: decision.cpuMicroseconds,
        target: decision.models === 100 ? 20 : 100,
        higher: false,
      });
    }
    return rows;
  },
  'loader-gguf'(result) {
    const rows = [];
    for (const entry of result.summary ?? []) {
      const direct = result.rows?.find(
        (row) => row.model === entry.dtype && row.runner === 'node-llama-cpp direct',
      );
      const llmr = result.rows?.find(
        (row) => row.model === entry.dtype && row.runner === 'llmr loader-gguf',
      );
      rows.push({
        measure: `GGUF decode ${entry.dtype}, llmr / direct`,
        value: entry.decodeRatio,
        target: 0.97,
        higher: true,
      });
      if (direct && llmr)
        rows.push({
          measure: `GGUF prefill ${entry.dtype}, llmr / direct`,
          value: llmr.prefillTokensPerSecond / direct.prefillTokensPerSecond,
          target: 0.95,
          higher: true,
        });
      for (const streams of ['4', '8']) {
        const ours = entry.aggregateTokensPerSecond?.[streams];
        const theirs = entry.directAggregateTokensPerSecond?.[streams];
        if (ours !== undefined && theirs)
          rows.push({
            measure: `GGUF aggregate ${streams} streams ${entry.dtype}, llmr / direct`,
            value: ours / theirs,
            target: 1,
            higher: true,
          });
      }
    }
    return rows;
  },
  'loader-onnx:transformers'(result) {
    const rows = [];
    for (const entry of result.report ?? []) {
      const size = `${(entry.parameters / 1e6).toFixed(0)}M, ${entry.threads} threads`;
      rows.push({
        measure: `ONNX decode vs transformers.js, same file (${size}), CPU`,
        value: entry.cpuRatioA,
        target: 1,
        higher: true,
      });
      if (typeof entry.cpuRatioB === 'number')
        rows.push({
          measure: `ONNX decode vs transformers.js, each its own f32 file (${size}), CPU`,
          value: entry.cpuRatioB,
          target: 1.3,
          higher: true,
        });
    }
    return rows;
  },
  observability(result) {
    return [
      {
        measure: 'tracing off, cost vs no observability',
        target: 0.02,
        value: result.tracingOffCost,
      },
      {
        measure: 'tracing on (span tree), cost vs no observability',
        target: 0.1,
        value: result.tracingOnCost,
      },
      {
        measure: 'tracing on (one span per request), cost vs no observability',
        target: 0.1,
        value: result.tracingRequestsCost,
      },
    ]
      .filter((row) => typeof row.value === 'number')
      .map((row) => ({ ...row, higher: false }));
  },
  'observability:off'(result) {
    if (typeof result.cost !== 'number') return [];
    return [
      {
        measure: 'tracing off (every hook in place), in one process: CPU cost vs no observability',
        value: result.cost,
        target: 0.02,
        higher: false,
      },
    ];
  },
  'observability:serve'(result) {
    const names = {
      'mock on': 'llmr serve, instant mock model: tracing on (span tree), CPU cost vs off',
      'mock requests':
        'llmr serve, instant mock model: tracing on (one span per request), CPU cost vs off',
    };
    return Object.entries(result.costs ?? {})
      .filter(([key]) => key in names)
      .map(([key, cost]) => ({ measure: names[key], value: cost.cpu, target: 0.1, higher: false }));
  },
  'observability:default-model'(result) {
    if (typeof result.cost !== 'number') return [];
    return [
      {
        measure: 'built-in default model (llama.cpp), tracing on (span tree), CPU cost vs off',
        value: result.cost,
        target: 0.1,
        higher: false,
      },
    ];
  },
  'observability:serializer'(result) {
    if (typeof result.speedUp !== 'number') return [];
    return [
      {
        measure: 'OTLP/protobuf span encoding, llmr vs the SDK serializer (speed-up, same bytes)',
        value: result.speedUp,
        higher: true,
      },
    ];
  },
  'loader-onnx'(result) {
    if (result.llmrVsTransformers === undefined) return [];
    return [
      {
        measure: `ONNX decode, llmr / transformers.js (same file, ${result.dtype})`,
        value: result.llmrVsTransformers,
        target: 1,
        higher: true,
      },
    ];
  },
};

function format(value) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(3);
}

function markdown(report) {
  const lines = [
    '# Benchmark results',
    '',
    `Node ${report.node}, ${report.cpus} CPUs, load average ${report.loadAverage.join(' ')} at the start${report.short ? ', short runs' : ''}.`,
    '',
    '| measure | value | target | met |',
    '| --- | --- | --- | --- |',
  ];
  for (const row of report.headlines) {
    const target =
      row.target === undefined ? '' : `${row.higher ? '≥' : '<'} ${format(row.target)}`;
    const met = row.met === undefined ? '' : row.met ? 'yes' : 'no';
    lines.push(`| ${row.measure} | ${format(row.value)} | ${target} | ${met} |`);
  }
  lines.push('', '| bench | package | status | seconds |', '| --- | --- | --- | --- |');
  for (const [name, entry] of Object.entries(report.benches))
    lines.push(
      `| ${entry.result?.bench ?? name} | ${entry.packageName} | ${entry.status} | ${entry.seconds} |`,
    );
  return `${lines.join('\n')}\n`;
}

const benches = discoverBenches().filter((bench) => !only || only.has(bench.name));
const report = {
  generatedAt: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
  short,
  benches: {},
  headlines: [],
};
for (const bench of benches) {
  process.stderr.write(`\n== ${bench.packageName}: ${bench.command}\n`);
  const outcome = await runBench(bench);
  process.stderr.write(`== ${bench.packageName}: ${outcome.status} in ${outcome.seconds} s\n`);
  report.benches[bench.name] = { packageName: bench.packageName, ...outcome };
  const extract = headlines[bench.name];
  if (extract && outcome.result)
    for (const row of extract(outcome.result))
      report.headlines.push({
        ...row,
        ...(row.target !== undefined && row.value !== undefined
          ? { met: row.higher ? row.value >= row.target : row.value < row.target }
          : {}),
      });
}
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(root, 'bench/results.md'), markdown(report));
process.stderr.write(`\n${markdown(report)}`);
const failed = Object.values(report.benches).filter((entry) => entry.status !== 'ok');
process.exitCode = failed.length > 0 ? 1 : 0;
