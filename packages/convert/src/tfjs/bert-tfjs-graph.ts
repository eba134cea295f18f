/**
 * A BERT-family text encoder (Hugging Face `BertModel` tensor names, with or without the
 * `bert.` prefix) as a TF.js graph model for embeddings: inputs `input_ids`,
 * `attention_mask`, `token_type_ids` ([batch, sequence], int32); output `last_hidden_state`
 * [batch, sequence, hidden]. Pooling stays outside the graph (the loader applies what the
 * model's sentence-transformers files say). Exact-erf GELU, post-LayerNorm blocks.
 */
import { LlmrError } from '@llmr/core';
import { configNumber } from '../decoder-dimensions';
import type { HfDirectory } from '../hf-directory';
import { tensorReader } from '../tensor-reader';
import type { LlamaTfjsOptions } from './llama-tfjs-graph';
import { TfjsGraphBuilder, tfType, transposeMatrix } from './tfjs-graph-builder';

/** Whether config.json describes a BERT encoder this exporter builds. */
export function isBertConfig(config: Record<string, unknown>): boolean {
  const names = Array.isArray(config.architectures) ? config.architectures : [];
  return config.model_type === 'bert' || names.includes('BertModel');
}

export async function buildBertTfjsGraph(
  hf: HfDirectory,
  options: LlamaTfjsOptions = {},
): Promise<{ builder: TfjsGraphBuilder; layers: number }> {
  const config = hf.config;
  const hidden = configNumber(config, 'hidden_size');
  const heads = configNumber(config, 'num_attention_heads');
  const layers = configNumber(config, 'num_hidden_layers');
  const eps = configNumber(config, 'layer_norm_eps', 1e-12);
  const activation = config.hidden_act ?? 'gelu';
  if (activation !== 'gelu')
    throw new LlmrError({
      code: 'convert-unsupported-architecture',
      message: `config.json: hidden_act "${String(activation)}" is not built for TF.js; BERT encoders with "gelu" (exact erf) are.`,
    });
  const headDim = hidden / heads;
  const { names, read } = tensorReader(hf, 'BertModel', options);
  const prefix = names.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const g = new TfjsGraphBuilder();
  const float = { T: tfType('float32') };
  const tensor = async (name: string) => {
    const full = `${prefix}${name}`;
    return g.constant(
      full,
      'float32',
      [...hf.tensors.shape(full)],
      new Uint8Array((await read(full)).buffer.slice(0)),
    );
  };
  const add = (a: string, b: string) => g.op('AddV2', [a, b], float);
  const sub = (a: string, b: string) => g.op('Sub', [a, b], float);
  const mul = (a: string, b: string) => g.op('Mul', [a, b], float);
  const mean = (x: string) =>
    g.op('Mean', [x, g.ints([-1])], { ...float, Tidx: tfType('int32'), keep_dims: { b: true } });
  const transpose = (x: string, perm: number[]) => g.op('Transpose', [x, g.ints(perm)], float);
  const matmul = (a: string, b: string, adjY = false) =>
    g.op('BatchMatMulV2', [a, b], { ...float, adj_x: { b: false }, adj_y: { b: adjY } });
  /** x @ W^T + b with W [out, in] stored transposed for TF's MatMul. */
  const linear = async (x: string, name: string) => {
    const full = `${prefix}${name}`;
    const [rows, columns] = hf.tensors.shape(`${full}.weight`) as [number, number];
    const data = await read(`${full}.weight`);
    const weight = g.constant(
      `${full}.weight`,
      'float32',
      [columns, rows],
      new Uint8Array(transposeMatrix(data, rows, columns).buffer),
    );
    return add(matmul(x, weight), await tensor(`${name}.bias`));
  };
  const layerNorm = async (x: string, name: string) => {
    const centered = sub(x, mean(x));
    const variance = mean(mul(centered, centered));
    const normed = mul(centered, g.op('Rsqrt', [add(variance, g.scalar(eps))], float));
    return add(mul(normed, await tensor(`${name}.weight`)), await tensor(`${name}.bias`));
  };

  const inputIds = g.placeholder('input_ids', 'int32', [-1, -1]);
  const attentionMask = g.placeholder('attention_mask', 'int32', [-1, -1]);
  const tokenTypeIds = g.placeholder('token_type_ids', 'int32', [-1, -1]);
  const batch = g.dim(inputIds, 0);
  const sequence = g.dim(inputIds, 1);
  const positions = g.op('Range', [g.intScalar(0), sequence, g.intScalar(1)], {
    Tidx: tfType('int32'),
  });
  let x = add(
    add(
      g.gather(await tensor('embeddings.word_embeddings.weight'), inputIds),
      g.gather(await tensor('embeddings.position_embeddings.weight'), positions),
    ),
    g.gather(await tensor('embeddings.token_type_embeddings.weight'), tokenTypeIds),
  );
  x = await layerNorm(x, 'embeddings.LayerNorm');
  // Padding keys get the lowest float32: [batch, 1, 1, sequence].
  const maskFloat = g.op('Cast', [attentionMask], {
    SrcT: tfType('int32'),
    DstT: tfType('float32'),
    Truncate: { b: false },
  });
  const bias = g.op(
    'Reshape',
    [
      mul(sub(g.scalar(1), maskFloat), g.scalar(-3.4028234663852886e38)),
      g.pack([batch, 1, 1, sequence]),
    ],
    float,
  );
  const headsFirst = (y: string) =>
    transpose(g.op('Reshape', [y, g.pack([batch, sequence, heads, headDim])], float), [0, 2, 1, 3]);
  const scale = g.scalar(1 / Math.sqrt(headDim));
  const flat = g.pack([batch, sequence, hidden]);
  for (let layer = 0; layer < layers; layer++) {
    const base = `encoder.layer.${layer}`;
    const q = headsFirst(await linear(x, `${base}.attention.self.query`));
    const k = headsFirst(await linear(x, `${base}.attention.self.key`));
    const v = headsFirst(await linear(x, `${base}.attention.self.value`));
    const probabilities = g.op('Softmax', [add(mul(matmul(q, k, true), scale), bias)], float);
    const context = g.op(
      'Reshape',
      [transpose(matmul(probabilities, v), [0, 2, 1, 3]), flat],
      float,
    );
    const attended = await layerNorm(
      add(await linear(context, `${base}.attention.output.dense`), x),
      `${base}.attention.output.LayerNorm`,
    );
    const inner = await linear(attended, `${base}.intermediate.dense`);
    // GELU with erf, as transformers' "gelu".
    const gelu = mul(
      mul(inner, g.scalar(0.5)),
      add(g.scalar(1), g.op('Erf', [mul(inner, g.scalar(Math.SQRT1_2))], float)),
    );
    x = await layerNorm(
      add(await linear(gelu, `${base}.output.dense`), attended),
      `${base}.output.LayerNorm`,
    );
  }
  g.op('Identity', [x], float, 'last_hidden_state');
  g.output('last_hidden_state', 'float32');
  return { builder: g, layers };
}
