/**
 * The script the tests bundle for Deno and Bun: loads LLMR_MODEL (a path, read through the
 * runtime's node:fs) and prints the port it listens on.
 */
import { simpleLoader } from '@llmr/runtime-simple';
import { createEdgeHandler } from '../edge-handler';
import { serveEdge } from '../serve-edge';

const source = process.env.LLMR_MODEL;
if (!source) throw new Error('Set LLMR_MODEL to a .gguf path.');
const load = () => simpleLoader.doLoad(source, { contextLength: 512 });
const model = load();
const server = serveEdge({
  handler: createEdgeHandler({ model: () => model, createModel: load }),
});
console.log(`listening ${server.runtime} ${server.port}`);
