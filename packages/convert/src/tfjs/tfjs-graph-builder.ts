/**
 * Builds a TF.js graph model as `tfjs-converter` writes one: `modelTopology` is a TensorFlow
 * GraphDef in protobuf's JSON form (`node` entries with TF op names, attributes as
 * `{ b }`, `{ i }`, `{ type }`, ...), every `Const` node's value lives in the weights
 * manifest under the node's name, and the weights are cut into shards
 * (`group1-shard{i}of{n}.bin`, 4 MiB each by default, as the converter cuts them).
 * Validated before it is written: unique node names, every input produced earlier.
 */
import { LlmrError } from '@llmr/core';

export type TfjsDataType = 'float32' | 'int32';

export type TfjsAttribute =
  | { b: boolean }
  | { i: string }
  | { f: number }
  | { type: string }
  | { list: { i?: string[]; type?: string[] } }
  | { shape: { dim?: { size: string }[]; unknownRank?: boolean } }
  | { tensor: { dtype: string; tensorShape: { dim?: { size: string }[] } } };

export interface TfjsNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfjsAttribute>;
}

export interface TfjsWeightEntry {
  name: string;
  shape: number[];
  dtype: TfjsDataType;
  /** float16 storage: TF.js dequantizes to float32 on load (tfjs-converter's --quantize_float16). */
  quantization?: { dtype: 'float16' };
}

/** tfjs-converter's default shard size (`--weight_shard_size_bytes`). */
export const TFJS_SHARD_BYTES = 4 * 1024 * 1024;

const TF_TYPE = { float32: 'DT_FLOAT', int32: 'DT_INT32' } as const;

const shapeOf = (dims: readonly number[]) => ({ dim: dims.map((size) => ({ size: `${size}` })) });

export const tfType = (type: TfjsDataType): { type: string } => ({ type: TF_TYPE[type] });

export class TfjsGraphBuilder {
  readonly nodes: TfjsNode[] = [];
  readonly weights: { entry: TfjsWeightEntry; bytes: Uint8Array }[] = [];
  readonly inputs: { name: string; dtype: TfjsDataType; shape: number[] }[] = [];
  readonly outputs: { name: string; dtype: TfjsDataType }[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  private unique(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  /** Reserves a name the graph's interface fixes (inputs, outputs). */
  private claim(name: string): string {
    if (this.names.has(name))
      throw new LlmrError({
        code: 'convert-invalid-graph',
        message: `Two TF.js graph nodes are named "${name}".`,
      });
    this.names.add(name);
    return name;
  }

  private add(node: TfjsNode): string {
    this.nodes.push(node);
    return node.name;
  }

  /** A graph input (`Placeholder`); -1 marks a dynamic axis. */
  placeholder(name: string, dtype: TfjsDataType, shape: number[]): string {
    this.inputs.push({ name, dtype, shape });
    return this.add({
      name: this.claim(name),
      op: 'Placeholder',
      attr: { dtype: tfType(dtype), shape: { shape: shapeOf(shape) } },
    });
  }

  /** A `Const` node whose value is stored in the weights manifest under its name. */
  constant(
    name: string,
    dtype: TfjsDataType,
    dims: number[],
    bytes: Uint8Array,
    quantization?: TfjsWeightEntry['quantization'],
  ): string {
    const unique = this.unique(name);
    this.nodes.push({
      name: unique,
      op: 'Const',
      attr: {
        dtype: tfType(dtype),
        value: { tensor: { dtype: TF_TYPE[dtype], tensorShape: shapeOf(dims) } },
      },
    });
    this.weights.push({
      entry: { name: unique, shape: dims, dtype, ...(quantization ? { quantization } : {}) },
      bytes,
    });
    return unique;
  }

  /** A small float32 constant, shared by every user of the same value and shape. */
  floats(values: readonly number[], dims: number[] = [values.length]): string {
    const key = `f${dims.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.constant(
        'const',
        'float32',
        dims,
        new Uint8Array(Float32Array.from(values).buffer),
      );
      this.constants.set(key, name);
    }
    return name;
  }

  /** A small int32 constant (axes, shapes, permutations), shared like `floats`. */
  ints(values: readonly number[], dims: number[] = [values.length]): string {
    const key = `i${dims.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.constant('const', 'int32', dims, new Uint8Array(Int32Array.from(values).buffer));
      this.constants.set(key, name);
    }
    return name;
  }

  scalar(value: number): string {
    return this.floats([value], []);
  }

  intScalar(value: number): string {
    return this.ints([value], []);
  }

  /** Adds an op node and returns its name (its first output). */
  op(
    op: string,
    inputs: string[],
    attr: Record<string, TfjsAttribute> = {},
    name?: string,
  ): string {
    for (const input of inputs) {
      if (!this.names.has(input))
        throw new LlmrError({
          code: 'convert-invalid-graph',
          message: `TF.js graph node ${op} reads "${input}", which no earlier node produces.`,
        });
    }
    const nodeName = name === undefined ? this.unique(op) : this.claim(name);
    return this.add({ name: nodeName, op, input: inputs, attr });
  }

  /** GatherV2 along axis 0 (embeddings, RoPE tables, shape entries). */
  gather(params: string, indices: string, type: TfjsDataType = 'float32'): string {
    return this.op('GatherV2', [params, indices, this.intScalar(0)], {
      Tparams: tfType(type),
      Tindices: tfType('int32'),
      Taxis: tfType('int32'),
      batch_dims: { i: '0' },
    });
  }

  /** The size of `x` along `axis`, an int32 scalar computed when the graph runs. */
  dim(x: string, axis: number): string {
    const shape = this.op('Shape', [x], { T: tfType('int32'), out_type: tfType('int32') });
    return this.gather(shape, this.intScalar(axis), 'int32');
  }

  /** A dynamic shape: numbers become constants, strings are int32 scalars in the graph. */
  pack(dims: (number | string)[]): string {
    return this.op(
      'Pack',
      dims.map((dim) => (typeof dim === 'number' ? this.intScalar(dim) : dim)),
      { T: tfType('int32'), N: { i: `${dims.length}` }, axis: { i: '0' } },
    );
  }

  /** Marks a node as a graph output (named by its node, as the signature lists it). */
  output(name: string, dtype: TfjsDataType): void {
    if (!this.names.has(name))
      throw new LlmrError({
        code: 'convert-invalid-graph',
        message: `The TF.js graph output "${name}" is not a node.`,
      });
    this.outputs.push({ name, dtype });
  }

  /** model.json's object (without `weightsManifest`) and the weights as one byte array. */
  toModelJson(metadata: Record<string, unknown> = {}): {
    model: Record<string, unknown>;
    weightSpecs: TfjsWeightEntry[];
    weightBytes: Uint8Array;
  } {
    const signatureEntry = (entry: { name: string; dtype: TfjsDataType }, shape?: number[]) => [
      entry.name,
      {
        name: `${entry.name}:0`,
        dtype: TF_TYPE[entry.dtype],
        ...(shape ? { tensorShape: shapeOf(shape) } : {}),
      },
    ];
    const total = this.weights.reduce((sum, weight) => sum + weight.bytes.byteLength, 0);
    const weightBytes = new Uint8Array(total);
    let offset = 0;
    for (const weight of this.weights) {
      weightBytes.set(weight.bytes, offset);
      offset += weight.bytes.byteLength;
    }
    return {
      model: {
        format: 'graph-model',
        generatedBy: 'llmr',
        convertedBy: 'llmr convert (HF -> TF.js)',
        signature: {
          inputs: Object.fromEntries(
            this.inputs.map((input) => signatureEntry(input, input.shape)),
          ),
          outputs: Object.fromEntries(this.outputs.map((output) => signatureEntry(output))),
        },
        modelTopology: { node: this.nodes, library: {}, versions: { producer: 1395 } },
        userDefinedMetadata: metadata,
      },
      weightSpecs: this.weights.map((weight) => weight.entry),
      weightBytes,
    };
  }
}

/** An HF linear weight [rows = out, columns = in] transposed to [in, out], as TF's MatMul takes it. */
export function transposeMatrix(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(rows * columns);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++)
      out[column * rows + row] = data[row * columns + column]!;
  return out;
}

/** Cuts the weights into shards as tfjs-converter does; returns file names and bytes. */
export function shardWeights(
  bytes: Uint8Array,
  shardBytes = TFJS_SHARD_BYTES,
): { path: string; bytes: Uint8Array }[] {
  const count = Math.max(1, Math.ceil(bytes.byteLength / shardBytes));
  return Array.from({ length: count }, (_, index) => ({
    path: `group1-shard${index + 1}of${count}.bin`,
    bytes: bytes.subarray(index * shardBytes, (index + 1) * shardBytes),
  }));
}
