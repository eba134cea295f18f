/** The behaviour every EngineV1 must have. */
import type { EngineV1, TensorV1 } from '../engine/v1/engine-v1';
import { LlmrError } from '../errors/llmr-error';
import { ensure, expectRejection, show } from './check';

export interface EngineCheckContext {
  engine: EngineV1;
  /** A small graph (ONNX bytes or a path) the engine can run. */
  model: Uint8Array | string;
  feeds: Record<string, TensorV1>;
  /** Expected outputs by name; float outputs are compared within `tolerance`. */
  expected: Record<string, TensorV1>;
  tolerance?: number;
}

export const engineChecks = {
  async 'declares spec v1, a name and capabilities'({ engine }: EngineCheckContext) {
    ensure(
      engine.specificationVersion === 'v1',
      'engine-info',
      `specificationVersion is ${show(engine.specificationVersion)}.`,
    );
    ensure(
      typeof engine.name === 'string' && engine.name.length > 0,
      'engine-info',
      'name must be a non-empty string.',
    );
    ensure(
      ['cpu', 'gpu', 'npu'].includes(engine.capabilities?.device),
      'engine-info',
      `capabilities.device is ${show(engine.capabilities?.device)}.`,
    );
    ensure(
      await engine.isAvailable(),
      'engine-info',
      'The engine under test says it is not available.',
    );
  },

  async 'runs a graph and returns the expected outputs'({
    engine,
    model,
    feeds,
    expected,
    tolerance = 1e-5,
  }: EngineCheckContext) {
    const session = await engine.createSession(model);
    try {
      for (const name of Object.keys(feeds)) {
        ensure(
          session.inputNames.includes(name),
          'engine-run',
          `Input ${show(name)} is not among ${show(session.inputNames)}.`,
        );
      }
      const outputs = await session.run(feeds);
      for (const [name, want] of Object.entries(expected)) {
        const got = outputs[name];
        ensure(
          got,
          'engine-run',
          `Output ${show(name)} is missing; got ${show(Object.keys(outputs))}.`,
        );
        ensure(
          show(got.dims) === show(want.dims),
          'engine-run',
          `Output ${name} has dims ${show(got.dims)}, expected ${show(want.dims)}.`,
        );
        ensure(
          got.type === want.type,
          'engine-run',
          `Output ${name} has type ${got.type}, expected ${want.type}.`,
        );
        for (let index = 0; index < want.data.length; index++) {
          const a = Number(got.data[index]);
          const b = Number(want.data[index]);
          ensure(
            Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b)),
            'engine-run',
            `Output ${name}[${index}] = ${a}, expected ${b}.`,
          );
        }
      }
    } finally {
      await session.release();
    }
  },

  async 'a released session fails with an LlmrError'({ engine, model, feeds }: EngineCheckContext) {
    const session = await engine.createSession(model);
    await session.release();
    const error = await expectRejection(
      () => session.run(feeds),
      'engine-release',
      'run() after release()',
    );
    ensure(
      LlmrError.isInstance(error),
      'engine-release',
      `run() after release() must fail with an LlmrError, got ${show(String(error))}.`,
    );
  },

  async 'bad model bytes fail with an LlmrError'({ engine }: EngineCheckContext) {
    const error = await expectRejection(
      () => engine.createSession(new Uint8Array([1, 2, 3, 4, 5])),
      'engine-bad-model',
      'createSession(garbage)',
    );
    ensure(
      LlmrError.isInstance(error),
      'engine-bad-model',
      `createSession(garbage) must fail with an LlmrError, got ${show(String(error))}.`,
    );
  },
};

export type EngineCheckName = keyof typeof engineChecks;
