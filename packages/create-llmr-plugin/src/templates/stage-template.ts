/**
 * The files of a pipeline-stage plugin: a redaction stage that rewrites what the model
 * is sent (patterns such as e-mail addresses become a placeholder) before any model sees
 * it. Small but real, so the scaffold's tests pass before its author changes a line, and
 * `transformOptions` is the place their own stage logic goes.
 */
import type { PluginNames } from '../plugin-names';

export function stageFiles(names: PluginNames): Record<string, string> {
  const { loaderName: stageName, pascalName } = names;
  const factoryName = `create${pascalName}Stage`;
  return {
    'src/index.ts': `import { ${factoryName} } from './stage.js';

export { ${factoryName}, DEFAULT_PATTERNS, type StageOptions } from './stage.js';

/** What \`llmr serve --plugin\` registers: a config uses the stage by this name under \`pipeline:\`. */
export const stages = { '${stageName}': ${factoryName} };
export default { stages };
`,
    'src/stage.ts': `/**
 * A pipeline stage (@llmr/core's ModelMiddlewareV1): replaces every match of its patterns
 * in the prompt and in each message with a placeholder, before the wrapped model (or the
 * next stage) is called. Built from plain JSON options, as a router config gives them.
 */
import {
  InvalidArgumentError,
  type ModelMiddlewareFactoryV1,
  type ModelMiddlewareV1,
  type ModelV1CallOptions,
} from '@llmr/core';

/** E-mail addresses; add your own patterns with the \`patterns\` option. */
export const DEFAULT_PATTERNS = ['[\\\\w.+-]+@[\\\\w-]+(?:\\\\.[\\\\w-]+)+'];
/** A pattern longer than this is refused: patterns come from config files. */
const MAX_PATTERN_LENGTH = 1000;

export interface StageOptions {
  /** Regular expressions (JavaScript syntax, matched globally). Default: e-mail addresses. */
  patterns?: string[];
  /** What a match becomes. Default: "[redacted]". */
  replacement?: string;
}

function invalid(argument: string, value: unknown, message: string): InvalidArgumentError {
  return new InvalidArgumentError({ argument: \`${stageName}.\${argument}\`, value, message });
}

function parseOptions(options: Record<string, unknown>): { patterns: RegExp[]; replacement: string } {
  const { patterns = DEFAULT_PATTERNS, replacement = '[redacted]', ...unknown } = options;
  const extra = Object.keys(unknown)[0];
  if (extra !== undefined)
    throw invalid(extra, unknown[extra], \`Unknown option "\${extra}"; use patterns or replacement.\`);
  if (!Array.isArray(patterns) || patterns.length === 0)
    throw invalid('patterns', patterns, 'patterns must be a non-empty list of regular expressions.');
  if (typeof replacement !== 'string')
    throw invalid('replacement', replacement, 'replacement must be a string.');
  return {
    replacement,
    patterns: patterns.map((source, index) => {
      if (typeof source !== 'string' || source.length === 0 || source.length > MAX_PATTERN_LENGTH)
        throw invalid(
          \`patterns[\${index}]\`,
          source,
          \`patterns[\${index}] must be a regular expression of 1 to \${MAX_PATTERN_LENGTH} characters.\`,
        );
      try {
        return new RegExp(source, 'gu');
      } catch (error) {
        throw invalid(\`patterns[\${index}]\`, source, \`patterns[\${index}] is not a valid regular expression: \${(error as Error).message}\`);
      }
    }),
  };
}

export const ${factoryName}: ModelMiddlewareFactoryV1 = (options = {}): ModelMiddlewareV1 => {
  const { patterns, replacement } = parseOptions(options);
  const redact = (text: string) =>
    patterns.reduce((result, pattern) => result.replace(pattern, replacement), text);
  return {
    specificationVersion: 'v1',
    name: '${stageName}',
    transformOptions({ options: call }): ModelV1CallOptions {
      // A call has either messages (chat) or a prompt (completion), never both.
      if (call.messages !== undefined)
        return {
          ...call,
          messages: call.messages.map((message) => ({ ...message, content: redact(message.content) })),
        };
      return { ...call, prompt: redact(call.prompt) };
    },
  };
};
`,
    'src/stage.test.ts': `/**
 * The stage around a model, through @llmr/core's own \`wrapModel\` (what a router does with
 * a config's pipeline). The inner model is a test double that records what it was sent
 * and answers with it, so the tests see exactly what a real model would receive.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmrError, type ModelV1, type ModelV1CallOptions, stream, generate, wrapModel } from '@llmr/core';
import { ${factoryName} } from './stage.js';

function recordingModel(seen: ModelV1CallOptions[]): ModelV1 {
  const answer = (options: ModelV1CallOptions) =>
    options.prompt ?? options.messages?.map((message) => message.content).join('\\n') ?? '';
  return {
    specificationVersion: 'v1',
    info: { id: 'recording', format: 'test-double', contextLength: 4096, capabilities: ['chat', 'completion'] },
    async doGenerate(options) {
      seen.push(options);
      const text = answer(options);
      return { text, finishReason: 'stop', usage: { inputTokens: 0, outputTokens: text.length } };
    },
    async doStream(options) {
      seen.push(options);
      const text = answer(options);
      return {
        stream: new ReadableStream({
          start(controller) {
            controller.enqueue({ type: 'text-delta', delta: text });
            controller.enqueue({ type: 'usage', usage: { inputTokens: 0, outputTokens: text.length } });
            controller.enqueue({ type: 'finish', finishReason: 'stop' });
            controller.close();
          },
        }),
      };
    },
    async dispose() {},
  };
}

test('the model never sees an e-mail address, in a prompt or in messages', async () => {
  const seen: ModelV1CallOptions[] = [];
  const model = wrapModel(recordingModel(seen), [${factoryName}({})]);
  const { text } = await generate(model, { prompt: 'Mail ada@example.com or bob.smith+x@mail.example.org' });
  assert.equal(text, 'Mail [redacted] or [redacted]');
  await generate(model, {
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'I am ada@example.com' },
    ],
  });
  assert.deepEqual(seen[1]?.messages?.map((message) => message.content), ['Be brief.', 'I am [redacted]']);
});

test('streaming calls are rewritten too, with the configured patterns', async () => {
  const seen: ModelV1CallOptions[] = [];
  const stage = ${factoryName}({ patterns: ['\\\\b\\\\d{4}-\\\\d{4}\\\\b'], replacement: '####' });
  const model = wrapModel(recordingModel(seen), [stage]);
  let text = '';
  for await (const delta of (await stream(model, { prompt: 'card 1234-5678, mail a@b.co' })).textStream) text += delta;
  assert.equal(text, 'card ####, mail a@b.co');
});

test('options that can never work are refused with a clear error', () => {
  for (const [options, message] of [
    [{ patterns: [] }, /non-empty list/],
    [{ patterns: ['('] }, /not a valid regular expression/],
    [{ replacement: 1 }, /replacement must be a string/],
    [{ pattern: 'x' }, /Unknown option "pattern"/],
  ] as const) {
    assert.throws(
      () => ${factoryName}(options as Record<string, unknown>),
      (error: unknown) => LlmrError.isInstance(error) && error.code === 'invalid-argument' && message.test(error.message),
    );
  }
});
`,
  };
}

export function stageReadme(names: PluginNames): string {
  const stageName = names.loaderName;
  const factoryName = `create${names.pascalName}Stage`;
  return `# ${names.packageName}

An [llmr](https://www.npmjs.com/package/@llmr/core) pipeline-stage plugin. It depends on
\`@llmr/core\` only. As scaffolded, the \`${stageName}\` stage replaces e-mail addresses (or
the patterns you configure) in prompts and messages before any model sees them: replace
\`transformOptions\` in \`src/stage.ts\` with your own stage, keep the tests green. A stage
may also wrap \`wrapGenerate\` and \`wrapStream\` (see \`ModelMiddlewareV1\` in @llmr/core).

## Install

\`\`\`sh
npm install ${names.packageName}
\`\`\`

## Use

In a router config, with \`llmr serve --config llmr.yaml\`:

\`\`\`yaml
plugins: [${names.packageName}]
models:
  - { id: local, source: ./model.gguf }
pipeline:
  models:
    local:
      - { stage: ${stageName}, options: { replacement: '[hidden]' } }
\`\`\`

In a program:

\`\`\`ts
import { wrapModel } from '@llmr/core';
import { ${factoryName} } from '${names.packageName}';

const safe = wrapModel(model, [${factoryName}({ patterns: ['\\\\b\\\\d{16}\\\\b'] })]);
\`\`\`

## Develop

\`npm test\` builds with tsc and runs \`src/stage.test.ts\` under \`node:test\`.
\`npm pack\` builds before packing.

## Limits

Only the text sent to the model is rewritten; tool arguments and the model's output pass
as they are. Patterns are JavaScript regular expressions of at most 1000 characters.
`;
}
