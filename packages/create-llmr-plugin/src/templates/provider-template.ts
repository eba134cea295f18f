/**
 * The files of a provider plugin: a loader whose sources are "<name>:<model id>" and whose
 * models call a remote OpenAI-compatible HTTP API (streamed completions and chat
 * completions over SSE), typed against @llmr/core only. Its node:test suite starts a
 * loopback HTTP server standing in for the upstream and runs the conformance kit over
 * real HTTP, so the scaffold passes before its author points it at their API.
 */
import type { PluginNames } from '../plugin-names';
import { providerTestFiles } from './provider-test-template';

export function providerFiles(names: PluginNames): Record<string, string> {
  const { loaderName: name, pascalName } = names;
  const camelName = pascalName[0]!.toLowerCase() + pascalName.slice(1);
  const envName = name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return {
    'src/index.ts': `export { create${pascalName}Provider, type ${pascalName}Provider, type ProviderSettings } from './provider.js';
export { createHttpModel, type HttpModelSettings, type UpstreamConnection } from './http-model.js';

import { create${pascalName}Provider } from './provider.js';

/** The default instance: reads ${envName}_BASE_URL and ${envName}_API_KEY when a model is loaded. */
export const ${camelName}Provider = create${pascalName}Provider();

/** What \`llmr serve --plugin\` registers: sources named "${name}:<model id>" load through it. */
export const loaders = [${camelName}Provider];
export default { loaders };
`,
    'src/http-model.ts': `/**
 * A ModelV1 whose every call is one streamed HTTP request to an OpenAI-compatible
 * upstream (POST /completions for a prompt, /chat/completions for messages). core's
 * call scope, SSE part stream and stream collector do the deadline, abort, error mapping
 * and result folding, so this file says only what the upstream's events mean.
 */
import {
  collectStream,
  createCallScope,
  createSSEPartStream,
  GenerationError,
  ModelDisposedError,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1FinishReason,
  type ModelV1StreamPart,
  type ModelV1StreamResult,
  type ModelV1Usage,
  postForStream,
  streamCutPart,
  throwIfAborted,
  validateCallOptions,
} from '@llmr/core';

export interface UpstreamConnection {
  /** e.g. http://127.0.0.1:8080/v1, without a trailing slash. */
  baseURL: string;
  apiKey?: string;
  fetch: typeof fetch;
  /** Per-request deadline in ms. */
  timeoutMs: number;
}

export interface HttpModelSettings {
  /** The id llmr knows the model by. */
  id: string;
  /** The id the upstream knows it by. */
  upstreamModel: string;
  /** Read on every request, so a rotated key or a moved upstream applies at once. */
  connection: () => UpstreamConnection;
  contextLength: number;
}

interface UpstreamChunk {
  choices?: Array<{
    text?: string;
    delta?: { content?: string | null };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

const FINISH_REASONS: Record<string, ModelV1FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  content_filter: 'content-filter',
};

export function createHttpModel(settings: HttpModelSettings): ModelV1 {
  const { id, upstreamModel, contextLength } = settings;
  let disposed = false;

  function requestBody(options: ModelV1CallOptions): Record<string, unknown> {
    const input =
      options.messages !== undefined
        ? { messages: options.messages.map(({ role, content }) => ({ role, content })) }
        : { prompt: options.prompt };
    return {
      model: upstreamModel,
      ...input,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: options.maxTokens,
      temperature: options.temperature,
      top_p: options.topP,
      seed: options.seed,
      stop: options.stopSequences,
    };
  }

  async function doStream(options: ModelV1CallOptions): Promise<ModelV1StreamResult> {
    if (disposed) throw new ModelDisposedError({ modelId: id });
    validateCallOptions(options);
    throwIfAborted(options.abortSignal);
    const connection = settings.connection();
    const url = \`\${connection.baseURL}/\${options.messages !== undefined ? 'chat/completions' : 'completions'}\`;
    const scope = createCallScope(url, options.abortSignal, connection.timeoutMs);
    const body = await postForStream({
      fetch: connection.fetch,
      url,
      headers: (): Record<string, string> =>
        connection.apiKey ? { authorization: \`Bearer \${connection.apiKey}\` } : {},
      body: requestBody(options),
      scope,
    });
    let finishReason: ModelV1FinishReason | undefined;
    let usage: ModelV1Usage = { inputTokens: 0, outputTokens: 0 };
    const closing = (): ModelV1StreamPart[] => [
      { type: 'usage', usage },
      { type: 'finish', finishReason: finishReason ?? 'stop' },
    ];
    const stream = createSSEPartStream({
      url,
      modelId: id,
      body,
      scope,
      onEvent(event) {
        if (event.data === '[DONE]') return closing();
        let chunk: UpstreamChunk;
        try {
          chunk = JSON.parse(event.data) as UpstreamChunk;
        } catch (error) {
          return [
            {
              type: 'error',
              error: new GenerationError({
                modelId: id,
                code: 'upstream-bad-event',
                message: \`\${url} sent an event that is not JSON (\${event.data.slice(0, 80)}); is it an OpenAI-compatible API?\`,
                cause: error,
              }),
            },
          ];
        }
        const parts: ModelV1StreamPart[] = [];
        const choice = chunk.choices?.[0];
        const delta = choice?.delta?.content ?? choice?.text;
        if (typeof delta === 'string' && delta.length > 0) parts.push({ type: 'text-delta', delta });
        if (choice?.finish_reason) finishReason = FINISH_REASONS[choice.finish_reason] ?? 'stop';
        if (chunk.usage) {
          usage = {
            inputTokens: chunk.usage.prompt_tokens ?? 0,
            outputTokens: chunk.usage.completion_tokens ?? 0,
          };
        }
        return parts;
      },
      // An upstream that closes without [DONE] but after a finish reason has still answered.
      onEnd: () => (finishReason ? closing() : [streamCutPart(url)]),
    });
    return { stream };
  }

  return {
    specificationVersion: 'v1',
    info: {
      id,
      format: '${name}',
      contextLength,
      capabilities: ['chat', 'completion'],
    },
    doStream,
    async doGenerate(options) {
      return collectStream((await doStream(options)).stream, { modelId: id });
    },
    async dispose() {
      disposed = true;
    },
  };
}
`,
    'src/provider.ts': `/**
 * The "${name}" provider: a loader whose sources are "${name}:<model id>" and whose
 * models call a remote OpenAI-compatible HTTP API. Loading asks the upstream's
 * GET /models whether it serves the id, so a typo fails at load, not at the first call.
 */
import {
  apiErrorFromResponse,
  createCallScope,
  LlmrError,
  LoadError,
  type LoaderV1,
  type ModelV1,
} from '@llmr/core';
import { createHttpModel, type UpstreamConnection } from './http-model.js';

export interface ProviderSettings {
  /** e.g. http://127.0.0.1:8080/v1. Default: the ${envName}_BASE_URL environment variable. */
  baseURL?: string;
  /** Sent as a bearer token. Default: the ${envName}_API_KEY environment variable. */
  apiKey?: string;
  /** A custom fetch (proxies, tests). Default: the global fetch. */
  fetch?: typeof fetch;
  /** The context length models report. Default 8192. */
  contextLength?: number;
  /** Per-request deadline in ms. Default 60000. */
  timeoutMs?: number;
}

export interface ${pascalName}Provider extends LoaderV1 {
  /** A model by its upstream id, without asking the upstream first. */
  languageModel(modelId: string): ModelV1;
  /** The ids the upstream serves (GET /models). */
  listModels(options?: { abortSignal?: AbortSignal }): Promise<string[]>;
}

const PREFIX = '${name}:';
/** A model list longer than this is refused: the answer comes from the network. */
const MAX_MODELS_BYTES = 4 * 1024 * 1024;

export function create${pascalName}Provider(settings: ProviderSettings = {}): ${pascalName}Provider {
  const connection = (): UpstreamConnection => {
    const baseURL = settings.baseURL ?? process.env.${envName}_BASE_URL;
    if (!baseURL) {
      throw new LlmrError({
        code: '${name}-no-base-url',
        message:
          'No upstream for ${name}: pass baseURL or set ${envName}_BASE_URL (e.g. http://127.0.0.1:8080/v1).',
      });
    }
    return {
      baseURL: baseURL.replace(/\\/+$/, ''),
      apiKey: settings.apiKey ?? process.env.${envName}_API_KEY,
      fetch: settings.fetch ?? globalThis.fetch,
      timeoutMs: settings.timeoutMs ?? 60_000,
    };
  };
  const contextLength = settings.contextLength ?? 8192;
  const languageModel = (modelId: string, id = modelId) =>
    createHttpModel({ id, upstreamModel: modelId, connection, contextLength });

  async function listModels({ abortSignal }: { abortSignal?: AbortSignal } = {}) {
    const upstream = connection();
    const url = \`\${upstream.baseURL}/models\`;
    const scope = createCallScope(url, abortSignal, upstream.timeoutMs);
    try {
      const headers: Record<string, string> = upstream.apiKey
        ? { authorization: \`Bearer \${upstream.apiKey}\` }
        : {};
      const response = await upstream.fetch(url, { headers, signal: scope.signal }).catch((caught) => {
        throw scope.errorFor(caught);
      });
      if (!response.ok) throw await apiErrorFromResponse(url, response);
      const text = await response.text();
      if (text.length > MAX_MODELS_BYTES) {
        throw new LlmrError({
          code: '${name}-bad-model-list',
          message: \`\${url} answered \${text.length} bytes; a model list over \${MAX_MODELS_BYTES} is refused.\`,
        });
      }
      const json = JSON.parse(text) as { data?: Array<{ id?: unknown }> };
      return (json.data ?? []).flatMap((model) => (typeof model.id === 'string' ? [model.id] : []));
    } finally {
      scope.close();
    }
  }

  return {
    specificationVersion: 'v1',
    name: '${name}',
    languageModel: (modelId) => languageModel(modelId),
    listModels,
    async canLoad(source) {
      return source.startsWith(PREFIX) && source.length > PREFIX.length
        ? { confidence: 0.9, reason: 'a ${name}: model id' }
        : { confidence: 0, reason: 'not a ${name}: source' };
    },
    async doLoad(source, options = {}) {
      if (!source.startsWith(PREFIX) || source.length === PREFIX.length) {
        throw new LoadError({
          source,
          code: '${name}-bad-source',
          message: \`"\${source}" is not a ${name} source; write ${name}:<model id>.\`,
        });
      }
      const modelId = source.slice(PREFIX.length);
      const served = await listModels({ abortSignal: options.abortSignal }).catch((error: unknown) => {
        throw new LoadError({
          source,
          code: '${name}-unreachable',
          message: \`Cannot list the models of the ${name} upstream: \${error instanceof Error ? error.message : String(error)}\`,
          cause: error,
        });
      });
      if (!served.includes(modelId)) {
        throw new LoadError({
          source,
          code: '${name}-unknown-model',
          message: \`The ${name} upstream does not serve "\${modelId}"; it serves: \${served.join(', ') || 'nothing'}.\`,
        });
      }
      options.onProgress?.({ loaded: 1, total: 1, stage: 'ready' });
      return createHttpModel({
        id: options.id ?? modelId,
        upstreamModel: modelId,
        connection,
        contextLength: options.contextLength ?? contextLength,
      });
    },
  };
}
`,
    ...providerTestFiles(names),
  };
}

export function providerReadme(names: PluginNames): string {
  const { loaderName: name, pascalName } = names;
  const envName = name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return `# ${names.packageName}

An [llmr](https://www.npmjs.com/package/@llmr/core) provider plugin. It depends on
\`@llmr/core\` only. As scaffolded, the \`${name}\` provider serves the models of a remote
OpenAI-compatible HTTP API (streamed \`/completions\` and \`/chat/completions\`): a source
\`${name}:<model id>\` loads once the upstream's \`GET /models\` lists that id. Change
\`src/http-model.ts\` to speak your API, keep the tests green.

## Install

\`\`\`sh
npm install ${names.packageName}
\`\`\`

## Use

\`\`\`sh
export ${envName}_BASE_URL=https://api.example.com/v1 ${envName}_API_KEY=...
llmr serve --plugin ${names.packageName} --model chat=${name}:small
\`\`\`

\`\`\`ts
import { generate } from '@llmr/core';
import { create${pascalName}Provider } from '${names.packageName}';

const provider = create${pascalName}Provider({ baseURL: 'http://127.0.0.1:8080/v1', apiKey: 'key' });
const model = await provider.doLoad('${name}:small');
const { text } = await generate(model, { prompt: 'Once upon', maxTokens: 20 });
console.log(text);
await model.dispose();
\`\`\`

## Develop

\`npm test\` builds with tsc and runs \`src/provider.test.ts\` under \`node:test\`: it starts a
loopback HTTP server standing in for the upstream and runs the llmr conformance kit
(\`@llmr/core/test/kit\`) against the provider over real HTTP. \`npm pack\` builds first.

## Limits

Text only: tools, JSON mode, logprobs and embeddings are not sent. Usage is what the
upstream reports (0 when it sends none). Errors from the upstream become \`APICallError\`s
(retryable for 408, 409, 429 and 5xx); each request has a 60 s deadline (\`timeoutMs\`).
`;
}
