/**
 * gRPC (`llmr serve --grpc-port 50051`): a streamed chat with @grpc/grpc-js, typed from
 * llmr's .proto files (shipped in @llmr/server-grpc's `proto/` folder).
 */
import { fileURLToPath } from 'node:url';
import { credentials, type GrpcObject, loadPackageDefinition, Metadata } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const protoDirectory =
  process.env.LLMR_PROTO_DIR ?? fileURLToPath(new URL('../../proto', import.meta.url));
const definition = loadSync('llmr/v1/generation.proto', {
  includeDirs: [protoDirectory],
  keepCase: true,
  defaults: true,
  oneofs: true,
});
const llmr = (loadPackageDefinition(definition).llmr as GrpcObject).v1 as GrpcObject;
const GenerationService = llmr.GenerationService as unknown as new (
  address: string,
  channel: ReturnType<typeof credentials.createInsecure>,
) => import('@grpc/grpc-js').Client & {
  ChatStream(request: object, metadata: Metadata): NodeJS.ReadableStream;
};

const client = new GenerationService(
  process.env.LLMR_GRPC_ADDRESS ?? '127.0.0.1:50051',
  credentials.createInsecure(),
);
const metadata = new Metadata();
metadata.set('authorization', `Bearer ${process.env.LLMR_API_KEY ?? ''}`);
const stream = client.ChatStream(
  {
    model: 'auto',
    messages: [{ role: 'user', content: 'Say hello' }],
    sampling: { max_tokens: { value: 16 } },
  },
  metadata,
);
let text = '';
let model = '';
stream.on(
  'data',
  (response: { event: string; start?: { model: string }; delta?: { content: string } }) => {
    if (response.event === 'start') model = response.start?.model ?? '';
    if (response.event === 'delta') text += response.delta?.content ?? '';
  },
);
stream.on('end', () => {
  console.log(`grpc (${model}): ${JSON.stringify(text)}`);
  client.close();
});
stream.on('error', (error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
  client.close();
});
