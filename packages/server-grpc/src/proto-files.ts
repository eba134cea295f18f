/**
 * Where the .proto files are: inside the published package (`proto/`, copied at build), or
 * at the repository's `proto/` when running from source. Loaded once, with the health
 * service's proto, into one package definition that the server and reflection share.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { LlmrError } from '@llmr/core';

export const LLMR_PROTO_FILES = [
  'llmr/v1/common.proto',
  'llmr/v1/generation.proto',
  'llmr/v1/embeddings.proto',
  'llmr/v1/tokenizer.proto',
  'llmr/v1/models.proto',
] as const;

/** The fully-qualified names of the services llmr serves. */
export const LLMR_SERVICES = [
  'llmr.v1.GenerationService',
  'llmr.v1.EmbeddingService',
  'llmr.v1.TokenizerService',
  'llmr.v1.ModelService',
] as const;

/** The directory holding `llmr/v1/*.proto` and `google/rpc/*.proto`. */
export function protoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/ or src/ -> the package's proto/; from source, the repository's proto/.
  const candidates = [join(here, '..', 'proto'), join(here, '..', '..', '..', 'proto')];
  const found = candidates.find((candidate) => existsSync(join(candidate, LLMR_PROTO_FILES[0])));
  if (!found)
    throw new LlmrError({
      code: 'proto-files-missing',
      message: `Cannot find llmr's .proto files (looked in ${candidates.join(', ')}). Reinstall @llmr/server-grpc.`,
    });
  return found;
}

/** grpc-health-check ships health.proto; its directory and file. */
function healthProto(): { root: string; file: string } {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto');
  return { root, file: 'health/v1/health.proto' };
}

/**
 * Field names stay as in the .proto (snake_case), enums are strings, 64-bit integers are
 * numbers (seeds and counts fit), and unset fields read as defaults, as proto3 defines.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

export function loadLlmrPackageDefinition(): PackageDefinition {
  const health = healthProto();
  return loadSync([...LLMR_PROTO_FILES, health.file], {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [protoRoot(), health.root],
  });
}
