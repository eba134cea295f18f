/**
 * What both format writers do first with each tensor: load its data if it is lazy, and
 * report a problem with it in one shape (the argument path and the tensor's name).
 */
import { InvalidArgumentError } from '@llmr/core';

export type TensorDataInput<T> = T | (() => T | Promise<T>);

export async function loadTensorData<T>(
  name: string,
  data: TensorDataInput<T>,
): Promise<{ data: T; fail: (message: string) => never }> {
  const loaded = typeof data === 'function' ? await (data as () => T | Promise<T>)() : data;
  const fail = (message: string): never => {
    throw new InvalidArgumentError({
      argument: `tensors["${name}"].data`,
      message: `Tensor "${name}": ${message}`,
    });
  };
  return { data: loaded, fail };
}
