import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { fallbackParams, playgroundParams } from '../../../extension/src/inference/playgroundParams';

describe('playgroundParams', () => {
  it('starts from the model defaults of an instruct model that samples', () => {
    assert.deepEqual(playgroundParams({ doSample: true, temperature: 0.7, topK: 20, topP: 0.8, repetitionPenalty: 1.05, maxLength: 32768 }), {
      maxNewTokens: 256,
      temperature: 0.7,
      topK: 20,
      topP: 0.8,
      repetitionPenalty: 1.05,
    });
  });

  it('is greedy when the model says do_sample false, whatever temperature genai_config.json carries', () => {
    // models/tiny-stdlib-coder/genai_config.json
    const p = playgroundParams({ maxLength: 2048, doSample: false, temperature: 1, topK: 1, topP: 1, repetitionPenalty: 1 });
    assert.equal(p.temperature, 0);
    assert.equal(p.topK, 1);
    assert.equal(p.maxNewTokens, 256);
  });

  it('samples at temperature 1 when the model asks for sampling without a temperature', () => {
    assert.equal(playgroundParams({ doSample: true }).temperature, 1);
  });

  it('keeps our defaults where the model says nothing', () => {
    assert.deepEqual(playgroundParams(undefined), fallbackParams);
    assert.deepEqual(playgroundParams({}), fallbackParams);
  });

  it('starts no higher than a short max_length and keeps values within the inputs', () => {
    const p = playgroundParams({ maxLength: 20, temperature: 5, topK: 5000, topP: 0, repetitionPenalty: -1 });
    assert.deepEqual(p, { maxNewTokens: 20, temperature: 2, topK: 1000, topP: fallbackParams.topP, repetitionPenalty: 1 });
  });
});
