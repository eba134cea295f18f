/**
 * safetensors benchmark: writes a ~1 GB Llama-shaped BF16 checkpoint (32 layers of 9 tensors,
 * about 290 tensors) to the OS temp directory, then measures open time (header parse), reading
 * every tensor's bytes, one tensor read + BF16 -> F32, conversion throughput (F16/BF16 <-> F32)
 * and the sharded writer + checkpoint open. Everything is deleted at the end. Prints a table and
 * one JSON line. Run: `pnpm --filter @llmr/safetensors bench` (well under a minute).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bfloat16BytesToFloat32,
  float16BytesToFloat32,
  fromFloat32,
  openSafetensors,
  openSafetensorsCheckpoint,
  type SafetensorsWriteTensor,
  writeSafetensors,
  writeShardedSafetensors,
} from '../src/index';

const MB = 1024 * 1024;
const LAYERS = 32;
const HIDDEN = 1024;
const INTERMEDIATE = 4096;

async function time<T>(run: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await run();
  return { ms: performance.now() - started, result };
}

async function best<T>(
  runs: number,
  run: () => Promise<T> | T,
): Promise<{ ms: number; result: T }> {
  let fastest = await time(run);
  for (let attempt = 1; attempt < runs; attempt++) {
    const next = await time(run);
    if (next.ms < fastest.ms) fastest = next;
  }
  return fastest;
}

/** A Llama-like layout: attention, MLP and norms per layer, plus embeddings. */
function layout(): { name: string; shape: number[] }[] {
  const tensors = [
    { name: 'model.embed_tokens.weight', shape: [32000, HIDDEN] },
    { name: 'lm_head.weight', shape: [32000, HIDDEN] },
    { name: 'model.norm.weight', shape: [HIDDEN] },
  ];
  for (let layer = 0; layer < LAYERS; layer++) {
    const prefix = `model.layers.${layer}`;
    tensors.push(
      { name: `${prefix}.self_attn.q_proj.weight`, shape: [HIDDEN, HIDDEN] },
      { name: `${prefix}.self_attn.k_proj.weight`, shape: [HIDDEN / 4, HIDDEN] },
      { name: `${prefix}.self_attn.v_proj.weight`, shape: [HIDDEN / 4, HIDDEN] },
      { name: `${prefix}.self_attn.o_proj.weight`, shape: [HIDDEN, HIDDEN] },
      { name: `${prefix}.mlp.gate_proj.weight`, shape: [INTERMEDIATE, HIDDEN] },
      { name: `${prefix}.mlp.up_proj.weight`, shape: [INTERMEDIATE, HIDDEN] },
      { name: `${prefix}.mlp.down_proj.weight`, shape: [HIDDEN, INTERMEDIATE] },
      { name: `${prefix}.input_layernorm.weight`, shape: [HIDDEN] },
      { name: `${prefix}.post_attention_layernorm.weight`, shape: [HIDDEN] },
    );
  }
  return tensors;
}

async function main(): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'llmr-safetensors-bench-'));
  const rows: [string, string, string][] = [];
  const json: Record<string, number> = {};
  try {
    // One 64 MiB BF16 pattern, sliced for every tensor: the write measures the writer and the disk.
    const pattern = fromFloat32(
      Float32Array.from({ length: 32 * MB }, (_, index) => Math.sin(index) * 0.02),
      'BF16',
    );
    const tensors = (): SafetensorsWriteTensor[] =>
      layout().map(({ name, shape }) => ({
        name,
        dtype: 'BF16',
        shape,
        data: () => pattern.subarray(0, shape.reduce((product, size) => product * size, 1) * 2),
      }));
    const path = join(directory, 'model.safetensors');
    const write = await time(() =>
      writeSafetensors(path, tensors(), { metadata: { format: 'pt' } }),
    );
    const fileSize = (await stat(path)).size;
    rows.push([
      'write safetensors (BF16)',
      `${(fileSize / MB).toFixed(0)} MiB, ${layout().length} tensors`,
      `${(fileSize / MB / (write.ms / 1000)).toFixed(0)} MB/s`,
    ]);
    json.fileMiB = Math.round(fileSize / MB);
    json.tensorCount = layout().length;
    json.writeMBps = Math.round(fileSize / MB / (write.ms / 1000));

    // Open: header read + validation (median-free: best of 5, it is milliseconds).
    const open = await best(5, async () => {
      const file = await openSafetensors(path);
      await file.close();
      return file.headerSize;
    });
    rows.push([
      'safetensors open (header parse + validation)',
      `${(open.result / 1024).toFixed(0)} KiB header`,
      `${open.ms.toFixed(2)} ms`,
    ]);
    json.openMs = Number(open.ms.toFixed(3));

    // Read every tensor's bytes, one range at a time.
    const file = await openSafetensors(path);
    const readAll = await time(async () => {
      let total = 0;
      for (const name of file.names) total += (await file.readTensorBytes(name)).byteLength;
      return total;
    });
    rows.push([
      'read all tensors (per-tensor ranges)',
      `${(readAll.result / MB).toFixed(0)} MiB`,
      `${(readAll.result / MB / (readAll.ms / 1000)).toFixed(0)} MB/s`,
    ]);
    json.readAllMBps = Math.round(readAll.result / MB / (readAll.ms / 1000));
    const readOne = await best(3, () => file.readFloat32('model.embed_tokens.weight'));
    rows.push([
      'read one tensor + BF16 -> F32',
      '62.5 MiB BF16',
      `${(62.5 / (readOne.ms / 1000)).toFixed(0)} MB/s of BF16`,
    ]);
    json.readTensorBf16MBps = Math.round(62.5 / (readOne.ms / 1000));
    await file.close();

    // Conversions on 32 MiB of 16-bit data (MB/s of float32 produced or consumed).
    const values = new Float32Array(16 * MB);
    values.set(bfloat16BytesToFloat32(pattern.subarray(0, 32 * MB)));
    const half = fromFloat32(values, 'F16');
    const conversions: [string, () => unknown][] = [
      ['BF16 -> F32', () => bfloat16BytesToFloat32(pattern.subarray(0, 32 * MB))],
      ['F16 -> F32', () => float16BytesToFloat32(half)],
      ['F32 -> BF16', () => fromFloat32(values, 'BF16')],
      ['F32 -> F16', () => fromFloat32(values, 'F16')],
    ];
    for (const [name, run] of conversions) {
      const { ms } = await best(3, run);
      const rate = 64 / (ms / 1000);
      rows.push([`convert ${name}`, '64 MiB f32', `${rate.toFixed(0)} MB/s`]);
      json[`convert${name.replace(/[^A-Z0-9]/gi, '')}MBps`] = Math.round(rate);
    }

    // Sharded write (256 MB shards) and checkpoint open.
    const shardDirectory = join(directory, 'sharded');
    await import('node:fs/promises').then(({ mkdir }) => mkdir(shardDirectory));
    const sharded = await time(() =>
      writeShardedSafetensors(shardDirectory, tensors(), { maxShardSize: 256 * MB }),
    );
    const checkpoint = await best(3, async () => {
      const opened = await openSafetensorsCheckpoint(shardDirectory);
      await opened.close();
      return opened.files.length;
    });
    rows.push([
      'write sharded (256 MiB shards)',
      `${sharded.result.files.length - 1} shards + index`,
      `${(fileSize / MB / (sharded.ms / 1000)).toFixed(0)} MB/s`,
    ]);
    rows.push([
      'open sharded checkpoint (all shard headers)',
      `${checkpoint.result} shards`,
      `${checkpoint.ms.toFixed(2)} ms`,
    ]);
    json.shardCount = checkpoint.result;
    json.checkpointOpenMs = Number(checkpoint.ms.toFixed(3));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }

  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  console.log(
    `@llmr/safetensors bench (node ${process.version}, ${process.platform}/${process.arch})`,
  );
  for (const row of rows)
    console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  |  '));
  console.log(JSON.stringify({ bench: '@llmr/safetensors', ...json }));
}

await main();
