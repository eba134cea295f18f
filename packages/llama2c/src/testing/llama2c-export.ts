/**
 * Writes llama2.c checkpoints with the export functions of llama2.c's export.py (MIT, Andrej
 * Karpathy), run by real PyTorch, from Hugging Face Llama tensors: the q/k rows are turned
 * into Meta's interleaved layout with export.py's own `permute_reverse` first. Node only.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTorchScript } from '@llmr/pytorch/testing';

const EXPORT_SCRIPT = `
import json, struct, sys, types
import numpy as np
import torch

def serialize_fp32(file, tensor):
    d = tensor.detach().cpu().view(-1).to(torch.float32).numpy()
    b = struct.pack(f'{len(d)}f', *d)
    file.write(b)

def serialize_int8(file, tensor):
    d = tensor.detach().cpu().view(-1).numpy().astype(np.int8)
    b = struct.pack(f'{len(d)}b', *d)
    file.write(b)

def quantize_q80(w, group_size):
    assert w.numel() % group_size == 0
    w = w.float()
    w = w.reshape(-1, group_size)
    wmax = torch.abs(w).max(dim=1).values
    scale = wmax / 127.0
    quant = w / scale[:,None]
    int8val = torch.round(quant).to(torch.int8)
    return int8val, scale, 0.0

def legacy_export(model, filepath):
    out_file = open(filepath, 'wb')
    hidden_dim = model.layers[0].feed_forward.w1.weight.shape[0]
    p = model.params
    shared_classifier = torch.equal(model.tok_embeddings.weight, model.output.weight)
    if not shared_classifier:
        p.vocab_size = -p.vocab_size
    n_kv_heads = p.n_heads if p.n_kv_heads is None else p.n_kv_heads
    header = struct.pack('iiiiiii', p.dim, hidden_dim, p.n_layers, p.n_heads,
                                    n_kv_heads, p.vocab_size, p.max_seq_len)
    out_file.write(header)
    serialize_fp32(out_file, model.tok_embeddings.weight)
    for layer in model.layers: serialize_fp32(out_file, layer.attention_norm.weight)
    for layer in model.layers: serialize_fp32(out_file, layer.attention.wq.weight)
    for layer in model.layers: serialize_fp32(out_file, layer.attention.wk.weight)
    for layer in model.layers: serialize_fp32(out_file, layer.attention.wv.weight)
    for layer in model.layers: serialize_fp32(out_file, layer.attention.wo.weight)
    for layer in model.layers: serialize_fp32(out_file, layer.ffn_norm.weight)
    for layer in model.layers: serialize_fp32(out_file, layer.feed_forward.w1.weight)
    for layer in model.layers: serialize_fp32(out_file, layer.feed_forward.w2.weight)
    for layer in model.layers: serialize_fp32(out_file, layer.feed_forward.w3.weight)
    serialize_fp32(out_file, model.norm.weight)
    serialize_fp32(out_file, model.freqs_cos[:p.max_seq_len])
    serialize_fp32(out_file, model.freqs_sin[:p.max_seq_len])
    if not shared_classifier:
        serialize_fp32(out_file, model.output.weight)
    out_file.close()

def version1_export(model, filepath):
    version = 1
    out_file = open(filepath, 'wb')
    out_file.write(struct.pack('I', 0x616b3432))
    out_file.write(struct.pack('i', version))
    p = model.params
    hidden_dim = model.layers[0].feed_forward.w1.weight.shape[0]
    n_kv_heads = p.n_heads if p.n_kv_heads is None else p.n_kv_heads
    header = struct.pack('iiiiiii', p.dim, hidden_dim, p.n_layers, p.n_heads,
                                    n_kv_heads, p.vocab_size, p.max_seq_len)
    out_file.write(header)
    shared_classifier = torch.equal(model.tok_embeddings.weight, model.output.weight)
    out_file.write(struct.pack('B', int(shared_classifier)))
    pad = 256 - out_file.tell()
    assert pad >= 0
    out_file.write(b'\\0' * pad)
    weights = [
        *[layer.attention_norm.weight for layer in model.layers],
        *[layer.ffn_norm.weight for layer in model.layers],
        model.norm.weight,
        model.tok_embeddings.weight,
        *[layer.attention.wq.weight for layer in model.layers],
        *[layer.attention.wk.weight for layer in model.layers],
        *[layer.attention.wv.weight for layer in model.layers],
        *[layer.attention.wo.weight for layer in model.layers],
        *[layer.feed_forward.w1.weight for layer in model.layers],
        *[layer.feed_forward.w2.weight for layer in model.layers],
        *[layer.feed_forward.w3.weight for layer in model.layers],
    ]
    if not shared_classifier:
        weights.append(model.output.weight)
    for w in weights:
        serialize_fp32(out_file, w)
    out_file.close()

def version2_export(model, filepath, group_size=64):
    version = 2
    while model.params.dim % group_size != 0:
        group_size //= 2
    weights = [
        model.tok_embeddings.weight,
        *[layer.attention.wq.weight for layer in model.layers],
        *[layer.attention.wk.weight for layer in model.layers],
        *[layer.attention.wv.weight for layer in model.layers],
        *[layer.attention.wo.weight for layer in model.layers],
        *[layer.feed_forward.w1.weight for layer in model.layers],
        *[layer.feed_forward.w2.weight for layer in model.layers],
        *[layer.feed_forward.w3.weight for layer in model.layers],
    ]
    shared_classifier = torch.equal(model.tok_embeddings.weight, model.output.weight)
    if not shared_classifier:
        weights.append(model.output.weight)
    for w in weights:
        assert w.numel() % group_size == 0
    out_file = open(filepath, 'wb')
    out_file.write(struct.pack('I', 0x616b3432))
    out_file.write(struct.pack('i', version))
    p = model.params
    hidden_dim = model.layers[0].feed_forward.w1.weight.shape[0]
    n_kv_heads = p.n_heads if p.n_kv_heads is None else p.n_kv_heads
    header = struct.pack('iiiiiii', p.dim, hidden_dim, p.n_layers, p.n_heads,
                                    n_kv_heads, p.vocab_size, p.max_seq_len)
    out_file.write(header)
    out_file.write(struct.pack('B', int(shared_classifier)))
    out_file.write(struct.pack('i', group_size))
    pad = 256 - out_file.tell()
    assert pad >= 0
    out_file.write(b'\\0' * pad)
    for layer in model.layers: serialize_fp32(out_file, layer.attention_norm.weight)
    for layer in model.layers: serialize_fp32(out_file, layer.ffn_norm.weight)
    serialize_fp32(out_file, model.norm.weight)
    for i, w in enumerate(weights):
        q, s, err = quantize_q80(w, group_size)
        serialize_int8(out_file, q)
        serialize_fp32(out_file, s)
    out_file.close()

args = json.load(sys.stdin)
raw = open(args['raw'], 'rb').read()
hf = {}
for item in args['tensors']:
    count = 1
    for dim in item['shape']: count *= dim
    hf[item['name']] = torch.frombuffer(bytearray(raw[item['offset']:item['offset'] + 4 * count]), dtype=torch.float32).reshape(item['shape'])
c = args['config']
dim, heads = c['hidden_size'], c['num_attention_heads']
kv_heads = c.get('num_key_value_heads', heads)
# export.py's load_hf_model: HF rotate-half rows back to Meta's interleaved ones.
def permute_reverse(w, n_heads, dim1, dim2):
    return w.view(n_heads, 2, dim1 // n_heads // 2, dim2).transpose(1, 2).reshape(dim1, dim2)
W = lambda t: types.SimpleNamespace(weight=t)
layers = []
for i in range(c['num_hidden_layers']):
    pre = f'model.layers.{i}.'
    kv_dim = dim * kv_heads // heads
    layers.append(types.SimpleNamespace(
        attention_norm=W(hf[pre + 'input_layernorm.weight']),
        ffn_norm=W(hf[pre + 'post_attention_layernorm.weight']),
        attention=types.SimpleNamespace(
            wq=W(permute_reverse(hf[pre + 'self_attn.q_proj.weight'], heads, dim, dim)),
            wk=W(permute_reverse(hf[pre + 'self_attn.k_proj.weight'], kv_heads, kv_dim, dim)),
            wv=W(hf[pre + 'self_attn.v_proj.weight']), wo=W(hf[pre + 'self_attn.o_proj.weight'])),
        feed_forward=types.SimpleNamespace(
            w1=W(hf[pre + 'mlp.gate_proj.weight']), w2=W(hf[pre + 'mlp.down_proj.weight']),
            w3=W(hf[pre + 'mlp.up_proj.weight']))))
embed = hf['model.embed_tokens.weight']
head_dim = dim // heads
seq = c['max_position_embeddings']
freqs = 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2)[: (head_dim // 2)].float() / head_dim))
angles = torch.outer(torch.arange(seq).float(), freqs)
model = types.SimpleNamespace(
    params=types.SimpleNamespace(dim=dim, n_layers=c['num_hidden_layers'], n_heads=heads, n_kv_heads=kv_heads,
                                 vocab_size=c['vocab_size'], max_seq_len=seq),
    layers=layers, tok_embeddings=W(embed), norm=W(hf['model.norm.weight']),
    output=W(hf.get('lm_head.weight', embed)), freqs_cos=torch.cos(angles), freqs_sin=torch.sin(angles))
{0: legacy_export, 1: version1_export, 2: version2_export}[args['version']](model, args['output'])
`;

/**
 * Exports HF Llama tensors (float32, HF layout) and their config.json as a llama2.c `.bin` of
 * `version` 0, 1 or 2, with llama2.c's export.py functions under real PyTorch.
 */
export async function exportLlama2c(
  weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  config: Record<string, unknown>,
  output: string,
  version: 0 | 1 | 2,
): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'llmr-llama2c-export-'));
  try {
    const manifest: { name: string; shape: readonly number[]; offset: number }[] = [];
    const parts: Buffer[] = [];
    let offset = 0;
    for (const [name, tensor] of weights) {
      manifest.push({ name, shape: tensor.shape, offset });
      parts.push(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
      offset += tensor.data.byteLength;
    }
    const raw = join(scratch, 'tensors.f32');
    await writeFile(raw, Buffer.concat(parts));
    await runTorchScript(EXPORT_SCRIPT, { raw, tensors: manifest, config, output, version });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Writes a tokenizer.bin the way llama2.c's tokenizer.py does, from SentencePiece pieces. */
export async function writeLlama2cTokenizer(
  pieces: readonly string[],
  scores: readonly number[],
  output: string,
): Promise<void> {
  const encoder = new TextEncoder();
  const encoded = pieces.map((piece, id) =>
    encoder.encode(id === 1 ? '\n<s>\n' : id === 2 ? '\n</s>\n' : piece.replaceAll('\u2581', ' ')),
  );
  const size = 4 + encoded.reduce((sum, bytes) => sum + 8 + bytes.byteLength, 0);
  const buffer = new Uint8Array(size);
  const view = new DataView(buffer.buffer);
  view.setUint32(0, Math.max(...encoded.map((bytes) => bytes.byteLength)), true);
  let at = 4;
  encoded.forEach((bytes, id) => {
    view.setFloat32(at, scores[id] ?? 0, true);
    view.setUint32(at + 4, bytes.byteLength, true);
    buffer.set(bytes, at + 8);
    at += 8 + bytes.byteLength;
  });
  await writeFile(output, buffer);
}
