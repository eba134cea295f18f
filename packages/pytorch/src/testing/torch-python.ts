/**
 * Writes PyTorch checkpoints with real PyTorch (a Python with `torch` installed), so tests read
 * files exactly as `torch.save` writes them. Node only.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Python that has torch: `LLMR_PYTHON`, else the system's `/usr/bin/python3`. */
export function torchPython(): string {
  return process.env.LLMR_PYTHON ?? '/usr/bin/python3';
}

/** Runs a Python script (given as text) with `args` as JSON on stdin; resolves with its stdout. */
export async function runTorchScript(script: string, args: unknown = {}): Promise<string> {
  const python = torchPython();
  return await new Promise((resolve, reject) => {
    const child = execFile(
      python,
      ['-c', script],
      { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const missing = /No module named 'torch'|ENOENT/.test(`${stderr} ${error.message}`);
        reject(
          new Error(
            missing
              ? `${python} with PyTorch is needed to write test checkpoints: install python3-torch (Debian/Ubuntu) or point LLMR_PYTHON at a Python that has torch.`
              : `${python} failed: ${stderr || error.message}`,
          ),
        );
      },
    );
    child.stdin?.end(JSON.stringify(args));
  });
}

export type TorchDtype = 'F32' | 'F16' | 'BF16';

export interface TorchSaveOptions {
  /** `_use_new_zipfile_serialization=False`: the pre-1.6 format. */
  legacy?: boolean;
  /** Stored element type (default F32). */
  dtype?: TorchDtype;
  /**
   * Shards: writes `pytorch_model-0000k-of-0000n.bin` files and `pytorch_model.bin.index.json`
   * into the output, which is then a directory. Default 1: the output is one file.
   */
  shards?: number;
  /** Store 2-D tensors transposed-and-back (non-contiguous strides) instead of contiguous. */
  nonContiguous?: boolean;
}

const SAVE_SCRIPT = `
import json, sys, os, torch
args = json.load(sys.stdin)
raw = open(args['raw'], 'rb').read()
dtype = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16}[args['dtype']]
tensors = {}
for item in args['tensors']:
    count = 1
    for dim in item['shape']:
        count *= dim
    values = torch.frombuffer(bytearray(raw[item['offset']:item['offset'] + 4 * count]), dtype=torch.float32)
    t = values.reshape(item['shape']).to(dtype)
    if args['nonContiguous'] and t.dim() == 2:
        t = t.t().contiguous().t()
    tensors[item['name']] = t
kwargs = {'_use_new_zipfile_serialization': False} if args['legacy'] else {}
names = list(tensors)
if args['shards'] <= 1:
    os.makedirs(os.path.dirname(os.path.abspath(args['output'])), exist_ok=True)
    torch.save(tensors, args['output'], **kwargs)
else:
    os.makedirs(args['output'], exist_ok=True)
    n = args['shards']
    weight_map = {}
    per = (len(names) + n - 1) // n
    for k in range(n):
        shard = 'pytorch_model-%05d-of-%05d.bin' % (k + 1, n)
        part = {name: tensors[name] for name in names[k * per:(k + 1) * per]}
        for name in part:
            weight_map[name] = shard
        torch.save(part, os.path.join(args['output'], shard), **kwargs)
    total = sum(t.numel() * t.element_size() for t in tensors.values())
    json.dump({'metadata': {'total_size': total}, 'weight_map': weight_map},
              open(os.path.join(args['output'], 'pytorch_model.bin.index.json'), 'w'), indent=2)
`;

/**
 * Saves float32 tensors with `torch.save` (as `dtype`). With `shards > 1`, `output` is a
 * directory that receives the shards and the index; otherwise it is the file.
 */
export async function torchSave(
  tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  output: string,
  options: TorchSaveOptions = {},
): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'llmr-torch-save-'));
  try {
    const raw = join(scratch, 'tensors.f32');
    const parts: Uint8Array[] = [];
    const manifest: { name: string; shape: readonly number[]; offset: number }[] = [];
    let offset = 0;
    for (const [name, tensor] of tensors) {
      manifest.push({ name, shape: tensor.shape, offset });
      const bytes = new Uint8Array(
        tensor.data.buffer,
        tensor.data.byteOffset,
        tensor.data.byteLength,
      );
      parts.push(bytes);
      offset += bytes.byteLength;
    }
    await writeFile(raw, Buffer.concat(parts));
    await runTorchScript(SAVE_SCRIPT, {
      raw,
      tensors: manifest,
      output,
      dtype: options.dtype ?? 'F32',
      legacy: options.legacy ?? false,
      shards: options.shards ?? 1,
      nonContiguous: options.nonContiguous ?? false,
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
