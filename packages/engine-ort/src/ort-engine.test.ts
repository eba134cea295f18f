/**
 * The adapter against a fake runtime: no onnxruntime package is needed (or imported) here,
 * the engines' own tests run the real ones.
 */
import { LlmrError } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { createOrtEngine, isDeviceTensor, type OrtModule, type OrtTensorLike } from './index';
import { tinyGraph } from './testing';

class FakeTensor implements OrtTensorLike {
  disposed = false;
  constructor(
    readonly type: string,
    readonly data: unknown,
    readonly dims: readonly number[] = [],
    readonly location = 'cpu',
  ) {}
  dispose() {
    this.disposed = true;
  }
  async getData() {
    return Float32Array.of(7, 8);
  }
}

function fakeOrt(location: string): OrtModule & { created: Record<string, unknown>[] } {
  const created: Record<string, unknown>[] = [];
  return {
    created,
    env: {},
    Tensor: FakeTensor,
    InferenceSession: {
      async create(_model, options = {}) {
        created.push(options);
        return {
          inputNames: ['x'],
          outputNames: ['y'],
          inputMetadata: [{ name: 'x', isTensor: true, type: 'float32', shape: ['batch', 2] }],
          async run(feeds) {
            return { y: new FakeTensor('float32', new Float32Array(0), feeds.x!.dims, location) };
          },
          async release() {},
        };
      },
    },
  };
}

const definition = {
  name: 'fake',
  packageName: 'fake-runtime',
  capabilities: { device: 'gpu' as const, dtypes: ['float32' as const] },
  sessionOptions: () => ({ executionProviders: ['fake'] }),
};

describe('createOrtEngine', () => {
  it('configures the module once, then passes session options', async () => {
    const ort = fakeOrt('cpu');
    let configured = 0;
    const engine = createOrtEngine({
      ...definition,
      ort: async () => ({ default: ort }) as unknown as OrtModule,
      configure: (module) => {
        configured++;
        (module.env as Record<string, unknown>).ready = true;
      },
    });
    const session = await engine.createSession(new Uint8Array(4));
    await engine.createSession(new Uint8Array(4));
    expect(configured).toBe(1);
    expect(ort.env).toEqual({ ready: true });
    expect(ort.created[0]).toEqual({ executionProviders: ['fake'] });
    expect(session.inputMetadata).toEqual([{ name: 'x', type: 'float32', dims: ['batch', 2] }]);
  });

  it('keeps device outputs on the device until downloaded or released', async () => {
    const engine = createOrtEngine({ ...definition, ort: fakeOrt('gpu-buffer') });
    const session = await engine.createSession(new Uint8Array(4));
    const { y } = await session.run({
      x: { type: 'float32', dims: [1, 2], data: Float32Array.of(1, 2) },
    });
    expect(isDeviceTensor(y!)).toBe(true);
    expect((await session.download(y!)).data).toEqual(Float32Array.of(7, 8));
    // Fed back, the device tensor goes in as it is; released, it can no longer be fed.
    await session.run({ x: y! });
    session.releaseTensors([y!]);
    const error = await session.run({ x: y! }).catch((caught) => caught);
    expect(error.code).toBe('engine-tensor-released');
  });

  it('names the package to install when the runtime cannot be loaded', async () => {
    const engine = createOrtEngine({
      ...definition,
      ort: () => {
        throw new Error('Cannot find module');
      },
    });
    expect(await engine.isAvailable()).toBe(false);
    const error = await engine.createSession(new Uint8Array(4)).catch((caught) => caught);
    expect(LlmrError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/npm i fake-runtime/);
  });
});

describe('tinyGraph', () => {
  it('builds a model with feeds and expected outputs', () => {
    const graph = tinyGraph();
    expect(graph.model.length).toBeGreaterThan(0);
    expect(Object.keys(graph.expected)).toEqual(['y', 'index']);
  });
});
