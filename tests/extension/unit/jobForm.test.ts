import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { formValuesFromSpec, parseGpuIndices, parseJobForm, placePreviewErrors, shellQuote, unknownHostFrom } from '../../../extension/src/jobs/jobForm';

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
  it('turns valid fields into a JobSpec with numbers; datasets go as typed for the sidecar to split', () => {
    const { spec, errors } = parseJobForm(valid);
    assert.deepEqual(errors, []);
    assert.deepEqual(spec, {
      backend: 'ssh://alice@gpu01:2222',
      model: 'qwen/Qwen2.5-0.5B-Instruct',
      dataset: [],
      datasetText: 'AI-ModelScope/alpaca-gpt4-data-zh#500, ./train.jsonl',
      tuner: 'lora',
      numTrainEpochs: 1,
      learningRate: 0.0001,
      loraRank: 8,
    });
  });

  const unsendable: [string, Record<string, string>, string][] = [
    ['an unknown tuner', { ...valid, tuner: 'adapter' }, 'tuner'],
    ['a fractional LoRA rank', { ...valid, loraRank: '8.5' }, 'loraRank'],
    ['text in a number field', { ...valid, batchSize: 'two' }, 'batchSize'],
    ['a repeated GPU', { ...valid, gpuIndices: '0,0' }, 'gpuIndices'],
    ['a GPU that is not a number', { ...valid, gpuIndices: 'all' }, 'gpuIndices'],
  ];
  for (const [name, values, field] of unsendable) {
    it(`reports ${name}, which the types cannot carry`, () => assert.deepEqual(parseJobForm(values).errors.map((e) => e.field), [field]));
  }

  // The rules about a job are jobs/preview's alone (the form once required a dataset that an upload replaces).
  const forThePreview: [string, Record<string, string>][] = [
    ['a backend without user', { ...valid, backend: 'ssh://gpu01' }],
    ['a missing model', { ...valid, model: ' ' }],
    ['no dataset but a file to upload', { ...valid, dataset: '', uploadDataset: '/data/train.jsonl' }],
    ['a zero learning rate', { ...valid, learningRate: '0' }],
    ['neither epochs nor steps', { ...valid, numTrainEpochs: '' }],
    ['zero checkpoints to keep', { ...valid, saveTotalLimit: '0' }],
  ];
  for (const [name, values] of forThePreview) {
    it(`sends ${name} to jobs/preview instead of judging it`, () => assert.deepEqual(parseJobForm(values).errors, []));
  }

  it('places the preview\'s errors beside the form\'s fields, the others above the command', () => {
    const placed = placePreviewErrors(
      [
        { field: 'dataset', message: 'dataset is required.' },
        { field: 'swiftMajorVersion', message: 'swiftMajorVersion must be 3 or 4.' },
      ],
      ['backend', 'dataset'],
    );
    assert.deepEqual(placed, { fieldErrors: [{ field: 'dataset', message: 'dataset is required.' }], errors: ['swiftMajorVersion must be 3 or 4.'] });
  });

  it('round-trips a preset through the form values', () => {
    const values = formValuesFromSpec({ backend: 'slurm://bob@login', model: 'm', dataset: ['a', 'b'], tuner: 'qlora', maxSteps: 10 });
    const { spec, errors } = parseJobForm(values);
    assert.deepEqual(errors, []);
    assert.equal(spec.datasetText, 'a b');
    assert.equal(spec.maxSteps, 10);
  });

  it('keeps quoted extra arguments as typed and reads GPUs, checkpoints and the QLoRA dtype', () => {
    const { spec, errors } = parseJobForm({
      ...valid,
      extraArgs: "--system 'You are a helpful assistant.'",
      gpuIndices: '0, 3',
      gpusPerNode: '0',
      saveSteps: '50',
      saveTotalLimit: '2',
      saveOnlyModel: 'true',
      bnbComputeDtype: 'float16',
    });
    assert.deepEqual(errors, []);
    assert.equal(spec.extraArgsText, "--system 'You are a helpful assistant.'");
    assert.equal(spec.extraArgs, undefined);
    assert.deepEqual(spec.gpuIndices, [0, 3]);
    assert.equal(spec.gpusPerNode, 0);
    assert.deepEqual([spec.saveSteps, spec.saveTotalLimit, spec.saveOnlyModel, spec.bnbComputeDtype], [50, 2, true, 'float16']);
    assert.equal(parseJobForm({ ...valid, bnbComputeDtype: '' }).spec.bnbComputeDtype, undefined);
  });

  it('shows a spec with quoted words and GPU lists the way it reads back', () => {
    const values = formValuesFromSpec({ backend: 'ssh://a@h', model: 'm', dataset: ['/data/my file.jsonl', "it's.jsonl"], extraArgsText: "--system 'x y'", gpuIndices: [1, 6] });
    assert.equal(values.dataset, "'/data/my file.jsonl' 'it'\\''s.jsonl'");
    assert.equal(values.extraArgs, "--system 'x y'");
    assert.equal(values.gpuIndices, '1,6');
    assert.deepEqual(parseGpuIndices(values.gpuIndices ?? ''), [1, 6]);
    assert.equal(shellQuote('plain/path#500'), 'plain/path#500');
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
