import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { formValuesFromSpec, parseJobForm, unknownHostFrom } from '../../../extension/src/jobs/jobForm';

const valid = {
  backend: 'ssh://alice@gpu01:2222',
  model: 'qwen/Qwen2.5-0.5B-Instruct',
  dataset: 'AI-ModelScope/alpaca-gpt4-data-zh#500, ./train.jsonl',
  tuner: 'lora',
  numTrainEpochs: '1',
  learningRate: '1e-4',
  loraRank: '8',
};

describe('parseJobForm', () => {
  it('turns valid fields into a JobSpec with numbers and a dataset list', () => {
    const { spec, errors } = parseJobForm(valid);
    assert.deepEqual(errors, []);
    assert.deepEqual(spec, {
      backend: 'ssh://alice@gpu01:2222',
      model: 'qwen/Qwen2.5-0.5B-Instruct',
      dataset: ['AI-ModelScope/alpaca-gpt4-data-zh#500', './train.jsonl'],
      tuner: 'lora',
      numTrainEpochs: 1,
      learningRate: 0.0001,
      loraRank: 8,
    });
  });

  const bad: [string, Record<string, string>, string][] = [
    ['a backend without user', { ...valid, backend: 'ssh://gpu01' }, 'backend'],
    ['an unknown backend scheme', { ...valid, backend: 'http://a@b' }, 'backend'],
    ['a missing model', { ...valid, model: ' ' }, 'model'],
    ['no dataset', { ...valid, dataset: '' }, 'dataset'],
    ['an unknown tuner', { ...valid, tuner: 'adapter' }, 'tuner'],
    ['a fractional LoRA rank', { ...valid, loraRank: '8.5' }, 'loraRank'],
    ['a zero learning rate', { ...valid, learningRate: '0' }, 'learningRate'],
    ['text in a number field', { ...valid, batchSize: 'two' }, 'batchSize'],
    ['neither epochs nor steps', { ...valid, numTrainEpochs: '' }, 'numTrainEpochs'],
  ];
  for (const [name, values, field] of bad) {
    it(`reports ${name}`, () => assert.deepEqual(parseJobForm(values).errors.map((e) => e.field), [field]));
  }

  it('round-trips a preset through the form values', () => {
    const values = formValuesFromSpec({ backend: 'slurm://bob@login', model: 'm', dataset: ['a', 'b'], tuner: 'qlora', maxSteps: 10 });
    const { spec, errors } = parseJobForm(values);
    assert.deepEqual(errors, []);
    assert.deepEqual(spec.dataset, ['a', 'b']);
    assert.equal(spec.maxSteps, 10);
  });
});

describe('unknownHostFrom', () => {
  it('reads host, port and fingerprint from the typed error data', () => {
    const e = { code: -32011, message: 'Unknown SSH host gpu01:2222', data: { kind: 'remoteFailure', serverCode: 'UnknownHostKey', host: 'gpu01', port: 2222, fingerprint: 'SHA256:abc' } };
    assert.deepEqual(unknownHostFrom(e), { host: 'gpu01', port: 2222, fingerprint: 'SHA256:abc' });
  });
  it('needs the typed fields: the message is not read', () => {
    const e = { message: 'Unknown SSH host gpu01:2222: its host key fingerprint is SHA256:q0b+Zm9v/YmFy.', data: { kind: 'remoteFailure', serverCode: 'UnknownHostKey' } };
    assert.equal(unknownHostFrom(e), undefined);
  });
  it('does not offer to trust a host whose key changed', () =>
    assert.equal(unknownHostFrom({ data: { kind: 'remoteFailure', serverCode: 'HostKeyMismatch', host: 'gpu01', port: 22, fingerprint: 'SHA256:x' } }), undefined));
  it('ignores other failures', () => assert.equal(unknownHostFrom({ data: { kind: 'network' } }), undefined));
});
