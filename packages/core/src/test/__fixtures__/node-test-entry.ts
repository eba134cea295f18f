/**
 * A third-party author's test file on `node:test`, bundled by the kit's own test: the
 * plain runners must work with no vitest in the process. DEFECT picks a broken model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConformanceError, checkModel } from '../kit/index';
import { createReferenceModel, type Defect } from './reference-model';

const defect = (process.env.DEFECT || undefined) as Defect | undefined;

test('the reference model passes the kit under node:test', async () => {
  const report = await checkModel({
    name: 'reference',
    createModel: async () => createReferenceModel(defect),
    prompt: 'hello there',
  });
  assert.equal(report.failed.length, 0);
  assert.ok(report.passed.length > 5);
});

test('a failed check is reported, not thrown, when asked', async () => {
  const report = await checkModel(
    { name: 'reference', createModel: async () => createReferenceModel('stream-differs') },
    { throwOnFailure: false },
  );
  assert.deepEqual(
    report.failed.map((failure) => failure.error instanceof ConformanceError),
    report.failed.map(() => true),
  );
  assert.ok(report.failed.length >= 1);
});
