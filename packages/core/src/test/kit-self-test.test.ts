/**
 * Proves the kit can fail: every defect in the reference model is caught by the check
 * written for it, and the healthy model passes every check.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceModel, type Defect } from './__fixtures__/reference-model';
import {
  ConformanceError,
  type ModelCheckName,
  modelChecks,
  resolveModelCheckContext,
  testModel,
} from './index';

async function runCheck(name: ModelCheckName, defect?: Defect) {
  const createModel = async () => createReferenceModel(defect);
  const context = resolveModelCheckContext(
    { createModel, prompt: 'hello there' },
    await createModel(),
  );
  return modelChecks[name](context);
}

// The healthy model passes the whole kit, as any plugin would run it.
testModel({
  name: 'reference (healthy)',
  createModel: async () => createReferenceModel(),
  prompt: 'hello there',
});

const caughtBy: Record<Defect, ModelCheckName> = {
  'stream-differs': 'streaming yields exactly the text generate returns',
  'ignores-abort': 'abort stops a stream within one token',
  'emits-stop-sequence': 'stop sequences end generation and are not emitted',
  'max-tokens-off-by-one': 'max tokens is exact',
  'wrong-usage': 'usage matches the tokenizer',
  interleaves: 'concurrent calls never interleave',
  'works-after-dispose': 'every call fails with an LlmrError after dispose',
  'ignores-seed': 'same seed gives the same text',
  'no-validation': 'invalid options fail with InvalidArgumentError',
};

describe('the conformance kit catches broken models', () => {
  for (const [defect, check] of Object.entries(caughtBy) as [Defect, ModelCheckName][]) {
    it(`"${check}" fails on a model that ${defect.replaceAll('-', ' ')}`, async () => {
      await expect(runCheck(check, defect)).rejects.toBeInstanceOf(ConformanceError);
    });
  }

  it('the same check passes on the healthy model (so the failure is the defect)', async () => {
    for (const check of new Set(Object.values(caughtBy)))
      await expect(runCheck(check)).resolves.toBeUndefined();
  });
});
