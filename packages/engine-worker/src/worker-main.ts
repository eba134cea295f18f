/**
 * The worker thread's side: imports the loader module named in workerData, loads the
 * model once, then runs streams the pool sends, forwarding each part. Aborts arrive as
 * messages and fire the stream's own AbortController.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LoaderV1, ModelV1 } from '@llmr/core';
import {
  type FromWorker,
  serializeError,
  type ToWorker,
  type WorkerSetup,
} from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('worker-main runs only as a worker thread.');
const setup = workerData as WorkerSetup;
const send = (message: FromWorker) => port.postMessage(message);
const controllers = new Map<number, AbortController>();

async function load(): Promise<ModelV1> {
  const module = (await import(setup.loaderModule)) as Record<string, unknown>;
  const loader = (module[setup.exportName] ?? module.default) as LoaderV1 | undefined;
  if (!loader || typeof loader.doLoad !== 'function')
    throw new Error(
      `${setup.loaderModule} has no LoaderV1 export "${setup.exportName}" or default; export one.`,
    );
  return loader.doLoad(
    setup.source,
    setup.bytes ? { ...setup.loadOptions, bytes: setup.bytes } : setup.loadOptions,
  );
}

load().then(
  (model) => {
    const sharedBytes =
      setup.bytes?.buffer instanceof SharedArrayBuffer ? setup.bytes.byteLength : 0;
    send({ type: 'ready', info: model.info, sharedBytes });
    port.on('message', async (message: ToWorker) => {
      if (message.type === 'abort') {
        controllers.get(message.id)?.abort();
        return;
      }
      const controller = new AbortController();
      controllers.set(message.id, controller);
      try {
        const { stream } = await model.doStream({
          ...message.options,
          abortSignal: controller.signal,
        });
        const reader = stream.getReader();
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          const part =
            value.type === 'error'
              ? { type: 'error' as const, error: serializeError(value.error) }
              : value;
          send({ type: 'part', id: message.id, part });
          // Yield to the event loop between parts: decoding otherwise runs on microtasks
          // only, and an abort message from the pool would wait until the stream ended.
          await new Promise((resolve) => setImmediate(resolve));
        }
      } catch (error) {
        send({
          type: 'part',
          id: message.id,
          part: { type: 'error', error: serializeError(error) },
        });
      } finally {
        controllers.delete(message.id);
        send({ type: 'end', id: message.id });
      }
    });
  },
  (error: unknown) => send({ type: 'load-failed', error: serializeError(error) }),
);
