/**
 * Reads an HF model's tensors as float32 for the graph exporters: a missing tensor is
 * refused naming the architecture it should belong to; abort and progress checked per tensor.
 */
import { LlmrError, throwIfAborted } from '@llmr/core';
import type { HfDirectory } from './hf-directory';

export function tensorReader(
  hf: HfDirectory,
  architecture: string,
  options: { abortSignal?: AbortSignal; onTensor?: (name: string) => void },
): { names: Set<string>; read(name: string): Promise<Float32Array> } {
  const names = new Set(hf.tensors.names);
  return {
    names,
    async read(name) {
      throwIfAborted(options.abortSignal);
      if (!names.has(name)) {
        throw new LlmrError({
          code: 'convert-missing-tensor',
          message: `${hf.dir} has no tensor ${name}; is this a ${architecture} checkpoint?`,
        });
      }
      options.onTensor?.(name);
      return hf.tensors.readFloat32(name);
    },
  };
}
