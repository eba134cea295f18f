/**
 * A TF.js GraphModel behind core's EngineSessionV1 (`inputNames`, `outputNames`,
 * `run(feeds)`), so graphs with the ONNX export's KV-cache convention decode through
 * @llmr/decoder's loop like ONNX Runtime sessions do. TF.js has no int64: integer feeds
 * (token ids, masks, positions) become int32, refused when a value does not fit.
 */
import {
  type EngineSessionV1,
  InvalidArgumentError,
  ModelDisposedError,
  type TensorV1,
} from '@llmr/core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type * as tfCore from '@tensorflow/tfjs-core';

type Tf = typeof tfCore;

export interface TfjsSession extends EngineSessionV1 {
  /** Declared input dims from the graph's signature (-1 where dynamic). */
  readonly inputMetadata: readonly { name: string; type?: string; dims?: readonly number[] }[];
  readonly backend: string;
}

const INT32_MAX = 2 ** 31 - 1;

function toTensor(tf: Tf, name: string, tensor: TensorV1): tfCore.Tensor {
  const shape = [...tensor.dims];
  switch (tensor.type) {
    case 'float32':
      return tf.tensor(tensor.data as Float32Array, shape, 'float32');
    case 'int32':
      return tf.tensor(tensor.data as Int32Array, shape, 'int32');
    case 'int64': {
      const data = tensor.data as BigInt64Array;
      const out = new Int32Array(data.length);
      for (let index = 0; index < data.length; index++) {
        const value = data[index]!;
        if (value > INT32_MAX || value < -INT32_MAX - 1)
          throw new InvalidArgumentError({
            argument: name,
            message: `Feed "${name}" holds ${value}, past int32: TF.js computes integers in int32.`,
          });
        out[index] = Number(value);
      }
      return tf.tensor(out, shape, 'int32');
    }
    case 'bool':
      return tf.tensor(tensor.data as Uint8Array, shape, 'bool');
    default:
      throw new InvalidArgumentError({
        argument: name,
        message: `Feed "${name}" is ${tensor.type}; TF.js sessions take float32, int32, int64 (as int32) and bool.`,
      });
  }
}

async function fromTensor(tensor: tfCore.Tensor): Promise<TensorV1> {
  const dims = [...tensor.shape];
  const data = await tensor.data();
  if (tensor.dtype === 'float32') return { type: 'float32', dims, data: data as Float32Array };
  if (tensor.dtype === 'int32') return { type: 'int32', dims, data: data as Int32Array };
  if (tensor.dtype === 'bool') return { type: 'bool', dims, data: Uint8Array.from(data) };
  throw new InvalidArgumentError({
    argument: 'outputs',
    message: `The graph returned a ${tensor.dtype} tensor, which llmr's sessions do not carry.`,
  });
}

function signatureDims(info: unknown): number[] | undefined {
  const dims = (info as { tensorShape?: { dim?: { size?: string | number }[] } } | undefined)
    ?.tensorShape?.dim;
  return dims?.map((dim) => Number(dim.size ?? -1));
}

/** Wraps a loaded GraphModel; `backend` is selected before each run (TF.js's is global). */
export function createTfjsSession(tf: Tf, model: GraphModel, backend: string): TfjsSession {
  const inputNames = [...model.inputNodes];
  const outputNames = [...model.outputNodes];
  const signature = (model as unknown as { signature?: { inputs?: Record<string, unknown> } })
    .signature;
  const inputMetadata = inputNames.map((name) => {
    const info = signature?.inputs?.[name] as { dtype?: string } | undefined;
    const dims = signatureDims(info);
    return {
      name,
      ...(info?.dtype === 'DT_FLOAT' ? { type: 'float32' } : {}),
      ...(dims ? { dims } : {}),
    };
  });
  let released = false;
  return {
    inputNames,
    outputNames,
    inputMetadata,
    backend,
    async run(feeds) {
      if (released) throw new ModelDisposedError({ modelId: 'tfjs-session' });
      if (tf.getBackend() !== backend) await tf.setBackend(backend);
      const inputs: Record<string, tfCore.Tensor> = {};
      try {
        for (const [name, tensor] of Object.entries(feeds))
          inputs[name] = toTensor(tf, name, tensor);
        const results = model.execute(inputs, outputNames);
        const list = Array.isArray(results) ? results : [results];
        try {
          const outputs: Record<string, TensorV1> = {};
          for (const [index, name] of outputNames.entries())
            outputs[name] = await fromTensor(list[index]!);
          return outputs;
        } finally {
          for (const tensor of list) tensor.dispose();
        }
      } finally {
        for (const tensor of Object.values(inputs)) tensor.dispose();
      }
    },
    async release() {
      if (released) return;
      released = true;
      model.dispose();
    },
  };
}
