import { describe, expectTypeOf, it } from 'vitest';
import type { ModelV1, ModelV1CallOptions, ModelV1StreamPart } from '../../index';

describe('spec v1 types', () => {
  it('call options take messages or a prompt, never both', () => {
    expectTypeOf<{ prompt: string }>().toMatchTypeOf<ModelV1CallOptions>();
    expectTypeOf<{
      messages: [{ role: 'user'; content: string }];
    }>().toMatchTypeOf<ModelV1CallOptions>();
    expectTypeOf<{ prompt: string; messages: [] }>().not.toMatchTypeOf<ModelV1CallOptions>();
  });

  it('stream parts are a discriminated union named noun-verb', () => {
    expectTypeOf<ModelV1StreamPart['type']>().toEqualTypeOf<
      'stream-start' | 'text-delta' | 'tool-call-delta' | 'tool-call' | 'usage' | 'finish' | 'error'
    >();
    expectTypeOf<
      Extract<ModelV1StreamPart, { type: 'text-delta' }>['delta']
    >().toEqualTypeOf<string>();
  });

  it('a model declares spec v1 and its methods', () => {
    expectTypeOf<ModelV1['specificationVersion']>().toEqualTypeOf<'v1'>();
    expectTypeOf<ModelV1['doEmbed']>().toEqualTypeOf<ModelV1['doEmbed']>();
    expectTypeOf<ReturnType<ModelV1['dispose']>>().toEqualTypeOf<Promise<void>>();
  });
});
