/**
 * A small ONNX graph builder over the protobuf wire format: inputs, outputs,
 * initializers and nodes by name, checked structurally before anything is serialized
 * (unique names, every input produced before it is used, every domain's opset imported),
 * so a bad graph fails here with a clear message instead of inside ONNX Runtime.
 */
import { LlmrError } from '@llmr/core';
import { concatMessage, ProtoBuilder, type ProtoMessage } from './protobuf-writer';

export type OnnxDataType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** TensorProto.DataType numbers. */
export const ONNX_DATA_TYPE: Record<OnnxDataType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

const BYTES_PER_ELEMENT: Record<OnnxDataType, number> = {
  float32: 4,
  float16: 2,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** A dimension: a fixed size, or a name for a dynamic axis (`batch_size`). */
export type OnnxDim = number | string;

export interface OnnxExternalLocation {
  /** File name relative to the model file. */
  location: string;
  offset: number;
  length: number;
}

export interface OnnxInitializer {
  name: string;
  type: OnnxDataType;
  dims: readonly number[];
  /** Raw little-endian bytes, or where they lie in an external data file. */
  data: Uint8Array | OnnxExternalLocation;
}

export type OnnxAttributeValue =
  | number
  | bigint
  | string
  | readonly number[]
  | { float: number }
  | { floats: readonly number[] }
  | { tensor: Omit<OnnxInitializer, 'name'> & { name?: string } };

export interface OnnxNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttributeValue>;
}

export interface OnnxValueInfo {
  name: string;
  type: OnnxDataType;
  dims: readonly OnnxDim[];
}

export interface OnnxModelOptions {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/** Opset 17 is the newest every ONNX Runtime backend (CPU, WASM, WebGPU) fully covers. */
export const DEFAULT_OPSETS: Readonly<Record<string, number>> = { '': 17, 'com.microsoft': 1 };
/** IR version 8 goes with opset 17. */
export const IR_VERSION = 8;

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

export class OnnxGraphBuilder {
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  readonly initializers: OnnxInitializer[] = [];
  readonly nodes: OnnxNode[] = [];
  readonly opsets: Record<string, number>;
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(
    readonly name = 'main_graph',
    opsets: Record<string, number> = { ...DEFAULT_OPSETS },
  ) {
    this.opsets = opsets;
  }

  /** A fresh value name with this prefix (never one already taken). */
  uniqueName(prefix: string): string {
    let name = prefix;
    while (this.used.has(name)) name = `${prefix}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  private claim(name: string, what: string): string {
    if (this.used.has(name)) {
      throw new LlmrError({
        code: 'onnx-duplicate-name',
        message: `ONNX graph: the ${what} name "${name}" is already used; value names must be unique.`,
      });
    }
    this.used.add(name);
    return name;
  }

  input(name: string, type: OnnxDataType, dims: readonly OnnxDim[]): string {
    this.inputs.push({ name: this.claim(name, 'input'), type, dims });
    return name;
  }

  /** Declares a graph output; the value itself is produced by a node (or is an input). */
  output(name: string, type: OnnxDataType, dims: readonly OnnxDim[]): string {
    this.outputs.push({ name, type, dims });
    return name;
  }

  initializer(
    name: string,
    type: OnnxDataType,
    dims: readonly number[],
    data: OnnxInitializer['data'],
  ): string {
    const expected = elementCount(dims) * BYTES_PER_ELEMENT[type];
    const actual = data instanceof Uint8Array ? data.length : data.length;
    // uint8 initializers may hold packed sub-byte values, so their length is what it is.
    if (type !== 'uint8' && actual !== expected) {
      throw new LlmrError({
        code: 'onnx-initializer-size',
        message: `ONNX graph: initializer "${name}" (${type} [${dims.join(', ')}]) has ${actual} bytes; expected ${expected}.`,
      });
    }
    this.initializers.push({ name: this.claim(name, 'initializer'), type, dims, data });
    return name;
  }

  int64s(values: readonly number[], name?: string): string {
    const data = new Uint8Array(values.length * 8);
    const view = new DataView(data.buffer);
    for (const [index, value] of values.entries()) view.setBigInt64(index * 8, BigInt(value), true);
    const claimed = name ? this.claim(name, 'initializer') : this.uniqueName('const_i64');
    this.initializers.push({ name: claimed, type: 'int64', dims: [values.length], data });
    return claimed;
  }

  float32s(
    values: ArrayLike<number>,
    dims: readonly number[] = [values.length],
    name?: string,
  ): string {
    const data = new Uint8Array(Float32Array.from(values).buffer);
    const claimed = name ? this.claim(name, 'initializer') : this.uniqueName('const_f32');
    this.initializers.push({ name: claimed, type: 'float32', dims, data });
    return claimed;
  }

  /** A scalar int64 (dims []): Range bounds, Gather indices. */
  int64Scalar(value: number, name?: string): string {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigInt64(0, BigInt(value), true);
    const claimed = name ? this.claim(name, 'initializer') : this.uniqueName('const_scalar_i64');
    this.initializers.push({ name: claimed, type: 'int64', dims: [], data });
    return claimed;
  }

  /** A scalar float32 (dims []), for broadcasting. */
  scalar(value: number, name?: string): string {
    return this.float32s([value], [], name);
  }

  /**
   * Adds a node and returns its output names. `outputs` is a count (names are made up)
   * or the names to use (graph outputs, KV cache names).
   */
  node(
    opType: string,
    inputs: readonly string[],
    options: {
      outputs?: number | readonly string[];
      attributes?: Record<string, OnnxAttributeValue>;
      domain?: string;
      name?: string;
    } = {},
  ): string[] {
    const base = options.name ?? opType.toLowerCase();
    const outputs =
      typeof options.outputs === 'object'
        ? options.outputs.map((name) => this.claim(name, 'node output'))
        : Array.from({ length: options.outputs ?? 1 }, (_, index) =>
            this.uniqueName(`${base}_out${index}`),
          );
    this.nodes.push({
      opType,
      domain: options.domain ?? '',
      name: this.uniqueName(`${base}_node`),
      inputs: [...inputs],
      outputs,
      attributes: options.attributes ?? {},
    });
    return outputs;
  }

  /** A node with one output; returns its name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, OnnxAttributeValue> = {},
    options: { domain?: string; name?: string; output?: string } = {},
  ): string {
    return this.node(opType, inputs, {
      attributes,
      domain: options.domain,
      name: options.name,
      outputs: options.output ? [options.output] : 1,
    })[0]!;
  }

  /**
   * Structural checks ONNX Runtime would otherwise fail on with a less helpful message.
   * Throws an LlmrError naming the first problem found.
   */
  validate(): void {
    const fail = (message: string): never => {
      throw new LlmrError({ code: 'onnx-invalid-graph', message: `ONNX graph: ${message}` });
    };
    const available = new Set<string>();
    const defined = new Set<string>();
    const define = (name: string, what: string) => {
      if (!name) fail(`a ${what} has an empty name.`);
      if (defined.has(name)) fail(`"${name}" is defined twice (${what}).`);
      defined.add(name);
      available.add(name);
    };
    for (const input of this.inputs) define(input.name, 'graph input');
    for (const initializer of this.initializers) define(initializer.name, 'initializer');
    const nodeNames = new Set<string>();
    for (const node of this.nodes) {
      if (nodeNames.has(node.name)) fail(`two nodes are named "${node.name}".`);
      nodeNames.add(node.name);
      if (!(node.domain in this.opsets)) {
        fail(
          `node ${node.name} (${node.opType}) uses domain "${node.domain}", which has no opset import.`,
        );
      }
      for (const input of node.inputs) {
        // '' is how ONNX leaves an optional input out.
        if (input !== '' && !available.has(input)) {
          fail(
            `node ${node.name} (${node.opType}) reads "${input}", which no input, initializer or earlier node produces.`,
          );
        }
      }
      for (const output of node.outputs) define(output, `output of ${node.name}`);
    }
    const outputNames = new Set<string>();
    for (const output of this.outputs) {
      if (outputNames.has(output.name)) fail(`graph output "${output.name}" is declared twice.`);
      outputNames.add(output.name);
      if (!available.has(output.name))
        fail(`graph output "${output.name}" is never produced by a node.`);
    }
    if (this.outputs.length === 0) fail('the graph has no outputs.');
  }

  /** Validates and serializes the ModelProto as chunks (large payloads are not copied). */
  toModelProto(options: OnnxModelOptions = {}): ProtoMessage {
    this.validate();
    const model = new ProtoBuilder().int(1, IR_VERSION);
    model.string(2, options.producerName ?? 'llmr');
    if (options.producerVersion) model.string(3, options.producerVersion);
    if (options.docString) model.string(6, options.docString);
    model.message(7, this.graphProto());
    for (const [domain, version] of Object.entries(this.opsets)) {
      const opset = new ProtoBuilder();
      if (domain) opset.string(1, domain);
      opset.int(2, version);
      model.message(8, opset.build());
    }
    for (const [key, value] of Object.entries(options.metadata ?? {})) {
      model.message(14, new ProtoBuilder().string(1, key).string(2, value).build());
    }
    return model.build();
  }

  toBytes(options: OnnxModelOptions = {}): Uint8Array {
    return concatMessage(this.toModelProto(options));
  }

  private graphProto(): ProtoMessage {
    const graph = new ProtoBuilder();
    for (const node of this.nodes) graph.message(1, nodeProto(node));
    graph.string(2, this.name);
    for (const initializer of this.initializers) graph.message(5, tensorProto(initializer));
    for (const input of this.inputs) graph.message(11, valueInfoProto(input));
    for (const output of this.outputs) graph.message(12, valueInfoProto(output));
    return graph.build();
  }
}

function tensorProto(tensor: Omit<OnnxInitializer, 'name'> & { name?: string }): ProtoMessage {
  const proto = new ProtoBuilder();
  proto.packedInts(1, tensor.dims);
  proto.int(2, ONNX_DATA_TYPE[tensor.type]);
  if (tensor.name) proto.string(8, tensor.name);
  if (tensor.data instanceof Uint8Array) {
    proto.bytes(9, tensor.data);
  } else {
    const entry = (key: string, value: string) =>
      new ProtoBuilder().string(1, key).string(2, value).build();
    proto.message(13, entry('location', tensor.data.location));
    proto.message(13, entry('offset', String(tensor.data.offset)));
    proto.message(13, entry('length', String(tensor.data.length)));
    proto.int(14, 1); // data_location = EXTERNAL
  }
  return proto.build();
}

function valueInfoProto(info: OnnxValueInfo): ProtoMessage {
  const shape = new ProtoBuilder();
  for (const dim of info.dims) {
    const dimension = new ProtoBuilder();
    if (typeof dim === 'number') dimension.int(1, dim);
    else dimension.string(2, dim);
    shape.message(1, dimension.build());
  }
  const tensorType = new ProtoBuilder()
    .int(1, ONNX_DATA_TYPE[info.type])
    .message(2, shape.build())
    .build();
  const type = new ProtoBuilder().message(1, tensorType).build();
  return new ProtoBuilder().string(1, info.name).message(2, type).build();
}

function nodeProto(node: OnnxNode): ProtoMessage {
  const proto = new ProtoBuilder();
  for (const input of node.inputs) proto.string(1, input);
  for (const output of node.outputs) proto.string(2, output);
  proto.string(3, node.name);
  proto.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes)) {
    proto.message(5, attributeProto(name, value));
  }
  if (node.domain) proto.string(7, node.domain);
  return proto.build();
}

// AttributeProto.AttributeType
const FLOAT = 1;
const INT = 2;
const STRING = 3;
const TENSOR = 4;
const FLOATS = 6;
const INTS = 7;

function attributeProto(name: string, value: OnnxAttributeValue): ProtoMessage {
  const proto = new ProtoBuilder().string(1, name);
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
    proto.int(3, value).int(20, INT);
  } else if (typeof value === 'number') {
    proto.float(2, value).int(20, FLOAT);
  } else if (typeof value === 'string') {
    proto.string(4, value).int(20, STRING);
  } else if (Array.isArray(value)) {
    proto.packedInts(8, value as number[]).int(20, INTS);
  } else if ('float' in value) {
    proto.float(2, value.float).int(20, FLOAT);
  } else if ('floats' in value) {
    proto.packedFloats(7, value.floats).int(20, FLOATS);
  } else if ('tensor' in value) {
    proto.message(5, tensorProto(value.tensor)).int(20, TENSOR);
  }
  return proto.build();
}
