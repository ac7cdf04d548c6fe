import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { variantChoices } from '../../../extension/src/inference/variantChoices';
import type { InferenceDownloadPlanResult } from '../../../extension/src/sidecar/protocol.generated';

const labels = {
  only: (file: string) => `Only ${file} and the shared files`,
  files: (count: string, size: string) => `${count} files, ${size}`,
  all: (count: string) => `All ${count} variants`,
};

const q4 = { file: 'onnx/model_q4.onnx', precision: 'int4', gpuOnly: false, bytes: 790 * 1024 * 1024 };
const plan: InferenceDownloadPlanResult = {
  chosen: q4,
  reason: 'int4 is the fastest precision ONNX Runtime runs on CPU among these (2 variants: ...)',
  variants: [{ file: 'onnx/model.onnx', precision: 'fp32', gpuOnly: false, bytes: 2 * 1024 ** 3 }, q4],
  files: ['config.json', 'onnx/model_q4.onnx', 'tokenizer.json'],
  bytes: 800 * 1024 * 1024,
  allBytes: 3 * 1024 ** 3,
};

describe('variantChoices', () => {
  it('offers the chosen variant with the shared files, with its reason and size, or everything', () => {
    const [only, all] = variantChoices(plan, labels);
    assert.equal(only.label, 'Only onnx/model_q4.onnx and the shared files');
    assert.match(only.description, /^3 files, 800(\.0)? MB$/);
    assert.equal(only.detail, plan.reason);
    assert.deepEqual(only.include, plan.files);
    assert.equal(all.label, 'All 2 variants');
    assert.equal(all.include, undefined, 'everything: no include list');
  });

  it('asks nothing when there is one variant or none that runs here', () => {
    assert.deepEqual(variantChoices({ ...plan, variants: [q4] }, labels), []);
    assert.deepEqual(variantChoices({ ...plan, chosen: undefined }, labels), []);
  });
});
