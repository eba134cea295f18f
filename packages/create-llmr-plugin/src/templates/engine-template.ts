/**
 * The files of an engine plugin (@llmr/core's EngineV1): a small CPU interpreter of a
 * JSON graph format (MatMul, Add, Relu on float32), typed against @llmr/core only. Small
 * but real, so the scaffold passes core's engine checks before its author changes a line,
 * and parseGraph and the ops are the places the runtime they wrap goes.
 */
import type { PluginNames } from '../plugin-names';

export function engineFiles(names: PluginNames): Record<string, string> {
  const { loaderName: name, pascalName } = names;
  const camelName = pascalName[0]!.toLowerCase() + pascalName.slice(1);
  return {
    'src/index.ts': `export { create${pascalName}Engine, MAX_GRAPH_BYTES } from './engine.js';
export { type Graph, type GraphNode, parseGraph } from './graph.js';

import { create${pascalName}Engine } from './engine.js';

/** The default instance. */
export const ${camelName}Engine = create${pascalName}Engine();

/** What \`llmr serve --plugin\` registers: loaders that take an engine can be given it by name. */
export const engines = [${camelName}Engine];
export default { engines };
`,
    'src/graph.ts': `/**
 * The graph format this engine runs: UTF-8 JSON naming its inputs, constant tensors
 * (initializers), and nodes in execution order. Small enough to read in one file, so the
 * scaffold has a working runtime; replace it with the format of the runtime you wrap.
 *
 * { "format": "${name}-graph", "inputs": ["x"], "outputs": ["y"],
 *   "initializers": { "w": { "dims": [2, 2], "data": [1, 2, 3, 4] } },
 *   "nodes": [{ "op": "MatMul", "inputs": ["x", "w"], "output": "y" }] }
 */
import { LlmrError } from '@llmr/core';

export const OPS = ['MatMul', 'Add', 'Relu'] as const;
export type Op = (typeof OPS)[number];

export interface GraphNode {
  op: Op;
  inputs: string[];
  output: string;
}

export interface Graph {
  inputs: string[];
  outputs: string[];
  initializers: Record<string, { dims: number[]; data: Float32Array }>;
  nodes: GraphNode[];
}

/** More nodes than this is refused: a graph file is untrusted input. */
const MAX_NODES = 10_000;

function bad(message: string): LlmrError {
  return new LlmrError({
    code: '${name}-bad-graph',
    message: \`Not a ${name} graph: \${message} See src/graph.ts for the format.\`,
  });
}

const isNameList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((name) => typeof name === 'string' && name.length > 0);

export function parseGraph(bytes: Uint8Array): Graph {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch (error) {
    throw bad(\`the bytes are not UTF-8 JSON (\${(error as Error).message}).\`);
  }
  if (json === null || typeof json !== 'object' || json.format !== '${name}-graph')
    throw bad('"format" must be "${name}-graph".');
  const { inputs, outputs, nodes } = json;
  if (!isNameList(inputs) || !isNameList(outputs)) throw bad('"inputs" and "outputs" must be lists of names.');
  if (!Array.isArray(nodes) || nodes.length === 0 || nodes.length > MAX_NODES)
    throw bad(\`"nodes" must hold 1 to \${MAX_NODES} nodes.\`);
  const initializers: Graph['initializers'] = {};
  for (const [name, value] of Object.entries((json.initializers ?? {}) as Record<string, unknown>)) {
    const { dims, data } = (value ?? {}) as { dims?: unknown; data?: unknown };
    if (!Array.isArray(dims) || !dims.every((dim) => Number.isInteger(dim) && dim > 0))
      throw bad(\`initializer "\${name}" needs positive integer dims.\`);
    const size = dims.reduce((product: number, dim: number) => product * dim, 1);
    if (!Array.isArray(data) || data.length !== size || !data.every((item) => typeof item === 'number'))
      throw bad(\`initializer "\${name}" needs \${size} numbers for dims [\${dims.join(', ')}].\`);
    initializers[name] = { dims, data: Float32Array.from(data) };
  }
  const known = new Set([...inputs, ...Object.keys(initializers)]);
  const parsed = nodes.map((node: unknown, index) => {
    const { op, inputs: nodeInputs, output } = (node ?? {}) as Record<string, unknown>;
    if (!OPS.includes(op as Op)) throw bad(\`node \${index} has op \${JSON.stringify(op)}; supported: \${OPS.join(', ')}.\`);
    if (!isNameList(nodeInputs) || typeof output !== 'string' || output.length === 0)
      throw bad(\`node \${index} needs a list of inputs and an output name.\`);
    const arity = op === 'Relu' ? 1 : 2;
    if (nodeInputs.length !== arity) throw bad(\`node \${index} (\${String(op)}) takes \${arity} inputs, not \${nodeInputs.length}.\`);
    const missing = nodeInputs.find((name) => !known.has(name));
    if (missing !== undefined) throw bad(\`node \${index} reads "\${missing}" before anything produces it.\`);
    known.add(output);
    return { op: op as Op, inputs: nodeInputs, output };
  });
  const unproduced = outputs.find((name) => !known.has(name));
  if (unproduced !== undefined) throw bad(\`output "\${unproduced}" is never produced.\`);
  return { inputs, outputs, initializers, nodes: parsed };
}
`,
    'src/ops.ts': `/**
 * The operators, on float32 tensors. Each checks its shapes and says what was wrong, since
 * shapes come from the caller's feeds.
 */
import { InvalidArgumentError, type TensorV1 } from '@llmr/core';

export interface FloatTensor {
  dims: readonly number[];
  data: Float32Array;
}

function shapeError(op: string, message: string, dims: unknown): InvalidArgumentError {
  return new InvalidArgumentError({ argument: 'feeds', value: dims, message: \`\${op}: \${message}\` });
}

/** [m, k] x [k, n] -> [m, n]. */
export function matMul(a: FloatTensor, b: FloatTensor): FloatTensor {
  const [m, k] = a.dims;
  const [kb, n] = b.dims;
  if (a.dims.length !== 2 || b.dims.length !== 2 || k !== kb || m === undefined || n === undefined)
    throw shapeError('MatMul', \`cannot multiply [\${a.dims}] by [\${b.dims}]; need [m, k] and [k, n].\`, [a.dims, b.dims]);
  const out = new Float32Array(m * n);
  for (let row = 0; row < m; row++)
    for (let inner = 0; inner < k!; inner++) {
      const value = a.data[row * k! + inner]!;
      for (let column = 0; column < n; column++) out[row * n + column]! += value * b.data[inner * n + column]!;
    }
  return { dims: [m, n], data: out };
}

/** Elementwise, with b broadcast over a's leading dimensions when b matches a's trailing ones (a bias). */
export function add(a: FloatTensor, b: FloatTensor): FloatTensor {
  const trailing = a.dims.slice(a.dims.length - b.dims.length);
  if (b.dims.length > a.dims.length || trailing.join() !== b.dims.join())
    throw shapeError('Add', \`cannot add [\${b.dims}] to [\${a.dims}]; b must match a's trailing dims.\`, [a.dims, b.dims]);
  const out = new Float32Array(a.data.length);
  for (let index = 0; index < out.length; index++) out[index] = a.data[index]! + b.data[index % b.data.length]!;
  return { dims: a.dims, data: out };
}

export function relu(a: FloatTensor): FloatTensor {
  return { dims: a.dims, data: a.data.map((value) => (value > 0 ? value : 0)) };
}

/** A feed as a float tensor; other element types are refused, with what to send instead. */
export function toFloat(name: string, tensor: TensorV1): FloatTensor {
  const size = tensor.dims.reduce((product, dim) => product * dim, 1);
  if (tensor.type !== 'float32' || !(tensor.data instanceof Float32Array) || tensor.data.length !== size)
    throw new InvalidArgumentError({
      argument: \`feeds.\${name}\`,
      value: tensor.type,
      message: \`Input "\${name}" must be a float32 tensor whose data holds \${size} values for dims [\${tensor.dims}].\`,
    });
  return { dims: tensor.dims, data: tensor.data };
}
`,
    'src/engine.ts': `/**
 * The "${name}" engine (@llmr/core's EngineV1): runs a ${name}-graph (see graph.ts) on
 * the CPU in plain JavaScript. A model is the graph's bytes or a path to them. Replace
 * parseGraph and the ops with the runtime you wrap; keep the tests green.
 */
import { readFile, stat } from 'node:fs/promises';
import {
  type EngineSessionV1,
  type EngineV1,
  InvalidArgumentError,
  LlmrError,
  ModelDisposedError,
  type TensorV1,
  throwIfAborted,
} from '@llmr/core';
import { parseGraph } from './graph.js';
import { add, type FloatTensor, matMul, relu, toFloat } from './ops.js';

/** A graph file larger than this is refused rather than read into memory. */
export const MAX_GRAPH_BYTES = 64 * 1024 * 1024;

async function graphBytes(model: Uint8Array | string): Promise<Uint8Array> {
  if (typeof model !== 'string') return model;
  const size = await stat(model).then(
    (info) => info.size,
    (error: Error) => {
      throw new LlmrError({
        code: '${name}-unreadable',
        message: \`Cannot read the graph \${model}: \${error.message}. Pass a path to a ${name}-graph file or its bytes.\`,
        cause: error,
      });
    },
  );
  if (size > MAX_GRAPH_BYTES)
    throw new LlmrError({
      code: '${name}-graph-too-large',
      message: \`\${model} has \${size} bytes; a graph may have at most \${MAX_GRAPH_BYTES}.\`,
    });
  return new Uint8Array(await readFile(model));
}

export function create${pascalName}Engine(): EngineV1 {
  return {
    specificationVersion: 'v1',
    name: '${name}',
    capabilities: { device: 'cpu', dtypes: ['float32'] },
    async isAvailable() {
      return true;
    },
    async createSession(model): Promise<EngineSessionV1> {
      const graph = parseGraph(await graphBytes(model));
      let released = false;
      return {
        inputNames: graph.inputs,
        outputNames: graph.outputs,
        async run(feeds, options = {}) {
          if (released)
            throw new ModelDisposedError({
              modelId: '${name}-session',
              message: 'This ${name} session was released; create a new session to run the graph.',
            });
          throwIfAborted(options.abortSignal);
          const values = new Map<string, FloatTensor>(Object.entries(graph.initializers));
          for (const name of graph.inputs) {
            const feed = feeds[name];
            if (!feed)
              throw new InvalidArgumentError({
                argument: 'feeds',
                value: Object.keys(feeds),
                message: \`Missing input "\${name}"; the graph takes \${graph.inputs.join(', ')}.\`,
              });
            values.set(name, toFloat(name, feed));
          }
          for (const node of graph.nodes) {
            const [a, b] = node.inputs.map((name) => values.get(name)!);
            if (node.op === 'Relu') values.set(node.output, relu(a!));
            else if (node.op === 'Add') values.set(node.output, add(a!, b!));
            else values.set(node.output, matMul(a!, b!));
          }
          const outputs: Record<string, TensorV1> = {};
          for (const name of graph.outputs) {
            const value = values.get(name)!;
            outputs[name] = { type: 'float32', dims: [...value.dims], data: value.data };
          }
          return outputs;
        },
        async release() {
          released = true;
        },
      };
    },
  };
}
`,
    'src/engine.test.ts': `/**
 * The engine under node:test: core's engine conformance checks (@llmr/core/test/kit) on
 * a one-layer network whose answer is worked out by hand below, then the errors a caller
 * can cause.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LlmrError, type TensorV1 } from '@llmr/core';
import { checkEngine } from '@llmr/core/test/kit';
import { ${camelName}Engine } from './index.js';

// y = relu(x W + b) with x = [[1, -2]], W = [[1, 2], [3, 4]], b = [10, 1]:
// x W = [[1 - 6, 2 - 8]] = [[-5, -6]]; + b = [[5, -5]]; relu = [[5, 0]].
const GRAPH = {
  format: '${name}-graph',
  inputs: ['x'],
  outputs: ['y'],
  initializers: { w: { dims: [2, 2], data: [1, 2, 3, 4] }, b: { dims: [2], data: [10, 1] } },
  nodes: [
    { op: 'MatMul', inputs: ['x', 'w'], output: 'xw' },
    { op: 'Add', inputs: ['xw', 'b'], output: 'z' },
    { op: 'Relu', inputs: ['z'], output: 'y' },
  ],
};
const bytes = new TextEncoder().encode(JSON.stringify(GRAPH));
const x: TensorV1 = { type: 'float32', dims: [1, 2], data: Float32Array.of(1, -2) };
const y: TensorV1 = { type: 'float32', dims: [1, 2], data: Float32Array.of(5, 0) };

let work = '';
before(async () => {
  work = await mkdtemp(join(tmpdir(), '${name}-engine-test-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('the engine passes the engine conformance checks', async () => {
  const report = await checkEngine({ engine: ${camelName}Engine, model: bytes, feeds: { x }, expected: { y } });
  assert.equal(report.failed.length, 0);
});

test('a graph on disk runs the same as its bytes', async () => {
  const path = join(work, 'layer.json');
  await writeFile(path, bytes);
  const session = await ${camelName}Engine.createSession(path);
  const { y: output } = await session.run({ x: { ...x, dims: [2, 2], data: Float32Array.of(1, -2, 0, 1) } });
  // Second row: [0, 1] W = [3, 4]; + b = [13, 5].
  assert.deepEqual(output?.data, Float32Array.of(5, 0, 13, 5));
  await session.release();
});

test('bad graphs and bad feeds fail with errors that say what is wrong', async () => {
  const graphError = (graph: unknown, message: RegExp) =>
    assert.rejects(
      ${camelName}Engine.createSession(new TextEncoder().encode(JSON.stringify(graph))),
      (error: unknown) => LlmrError.isInstance(error) && error.code === '${name}-bad-graph' && message.test(error.message),
    );
  await graphError({ ...GRAPH, nodes: [{ op: 'Conv', inputs: ['x'], output: 'y' }] }, /op "Conv"; supported: MatMul/);
  await graphError({ ...GRAPH, nodes: [{ op: 'Relu', inputs: ['q'], output: 'y' }] }, /reads "q" before/);
  await graphError({ ...GRAPH, outputs: ['nowhere'] }, /"nowhere" is never produced/);
  await assert.rejects(
    ${camelName}Engine.createSession(join(work, 'missing.json')),
    (error: unknown) => LlmrError.isInstance(error) && error.code === '${name}-unreadable',
  );
  const session = await ${camelName}Engine.createSession(bytes);
  await assert.rejects(session.run({}), /Missing input "x"/);
  await assert.rejects(
    session.run({ x: { type: 'float32', dims: [1, 3], data: Float32Array.of(1, 2, 3) } }),
    (error: unknown) => LlmrError.isInstance(error) && /cannot multiply \\[1,3\\] by \\[2,2\\]/.test(error.message),
  );
  await assert.rejects(session.run({ x: { type: 'int32', dims: [1, 2], data: Int32Array.of(1, 2) } }), /must be a float32 tensor/);
  await session.release();
});
`,
  };
}

export function engineReadme(names: PluginNames): string {
  const { loaderName: name, pascalName } = names;
  const camelName = pascalName[0]!.toLowerCase() + pascalName.slice(1);
  return `# ${names.packageName}

An [llmr](https://www.npmjs.com/package/@llmr/core) engine plugin (\`EngineV1\`). It depends
on \`@llmr/core\` only. As scaffolded, the \`${name}\` engine runs a small JSON graph format
(\`${name}-graph\`: MatMul, Add and Relu on float32) on the CPU in plain JavaScript: replace
\`src/graph.ts\` and \`src/ops.ts\` with the runtime you wrap, keep the tests green.

## Install

\`\`\`sh
npm install ${names.packageName}
\`\`\`

## Use

\`\`\`ts
import { readFile } from 'node:fs/promises';
import { ${camelName}Engine } from '${names.packageName}';

const session = await ${camelName}Engine.createSession(await readFile('./layer.json'));
const x = { type: 'float32' as const, dims: [1, 2], data: Float32Array.of(1, -2) };
const { y } = await session.run({ x });
console.log(y?.dims, y?.data);
await session.release();
\`\`\`

\`llmr serve --plugin ${names.packageName}\` registers it as engine \`${name}\` for loaders that
run their graphs on an engine.

## Develop

\`npm test\` builds with tsc and runs \`src/engine.test.ts\` under \`node:test\`: core's
engine conformance checks (\`checkEngine\` from \`@llmr/core/test/kit\`) on a one-layer
network, then the errors a caller can cause. \`npm pack\` builds first.

## Limits

float32 only; MatMul takes 2-D tensors; Add broadcasts its second input over the
first's leading dimensions. Graph files are read whole, up to 64 MiB and 10000 nodes.
`;
}
