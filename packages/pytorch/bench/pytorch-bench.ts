/**
 * Reading a whole checkpoint: @llmr/pytorch (open + every tensor as float32) against
 * torch.load itself (mmap off, then every tensor .float()) on the same files, written by
 * torch.save in both serializations and two dtypes. Prints a table and one JSON line.
 * Run: pnpm --filter @llmr/pytorch bench  (LLMR_BENCH_MB sets the checkpoint size, default 128)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPytorch } from '../src/pytorch-reader';
import { runTorchScript } from '../src/testing/torch-python';

const megabytes = Number(process.env.LLMR_BENCH_MB ?? 128);
const dir = await mkdtemp(join(tmpdir(), 'llmr-pytorch-bench-'));

const SCRIPT = `
import json, sys, time, torch
args = json.load(sys.stdin)
if args['write']:
    count = args['mb'] * 1024 * 1024 // 4 // 64
    sd = {f'layer.{i}.weight': torch.randn(count // 1024, 1024) for i in range(64)}
    for dtype, name in ((torch.float32, 'F32'), (torch.bfloat16, 'BF16')):
        s = {k: v.to(dtype) for k, v in sd.items()}
        torch.save(s, f"{args['dir']}/{name}-zip.bin")
        torch.save(s, f"{args['dir']}/{name}-legacy.bin", _use_new_zipfile_serialization=False)
    print('{}')
else:
    started = time.perf_counter()
    sd = torch.load(args['path'], map_location='cpu')
    total = sum(t.float().numel() for t in sd.values())
    print(json.dumps({'ms': (time.perf_counter() - started) * 1000, 'values': total}))
`;

try {
  await runTorchScript(SCRIPT, { write: true, dir, mb: megabytes });
  const rows: Record<string, string | number>[] = [];
  for (const name of ['F32-zip', 'F32-legacy', 'BF16-zip', 'BF16-legacy']) {
    const path = join(dir, `${name}.bin`);
    const started = performance.now();
    const file = await openPytorch(path);
    let values = 0;
    for (const tensor of file.names) values += (await file.readFloat32(tensor)).length;
    await file.close();
    const llmrMs = performance.now() - started;
    const torch = JSON.parse(await runTorchScript(SCRIPT, { write: false, path })) as {
      ms: number;
    };
    rows.push({
      file: name,
      values,
      'llmr ms': Math.round(llmrMs),
      'torch.load ms': Math.round(torch.ms),
      'llmr MB/s': Math.round((values * 4) / 1e6 / (llmrMs / 1000)),
    });
  }
  console.table(rows);
  console.log(JSON.stringify({ bench: 'pytorch-read', megabytes, rows }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
