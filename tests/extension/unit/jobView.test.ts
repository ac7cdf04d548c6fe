import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isUnreachable, jobIcon, jobStateText, jobTooltip } from '../../../extension/src/jobs/jobView';
import { JobInfo } from '../../../extension/src/sidecar/protocol.generated';

const running: JobInfo = {
  jobId: 'ft-1',
  backend: 'ssh://alice@gpu01:2222',
  state: 'running',
  remoteDir: '/home/alice/.modelide/jobs/ft-1',
  command: 'swift sft --model m',
  submittedAt: '2026-01-01T00:00:00Z',
  progress: { globalStep: 4, maxSteps: 10, percent: 40 },
  checkpoints: [],
  swiftMajorVersion: 4,
  spec: { backend: 'ssh://alice@gpu01:2222', model: 'm', dataset: ['d'], tuner: 'lora' },
};
const hostDown = 'Host unreachable: Cannot connect to gpu01:2222: connection refused. Will retry; last known state: running.';

describe('job view', () => {
  it('shows a reachable job by its state and progress', () => {
    assert.equal(jobStateText(running), 'running 40%');
    assert.equal(jobIcon(running), 'sync~spin');
    assert.equal(isUnreachable(running), false);
  });

  it('shows an unreachable running job as running, will retry: never as failed', () => {
    const job: JobInfo = { ...running, unreachable: hostDown };
    assert.equal(jobStateText(job), 'running 40% (unreachable, will retry)');
    assert.equal(jobIcon(job), 'debug-disconnect');
    assert.notEqual(jobIcon(job), jobIcon({ ...running, state: 'failed' }));
    assert.equal(jobTooltip(job), `swift sft --model m\n${hostDown}`);
  });

  it('uses the translated label and keeps a pending job pending while the Slurm controller is down', () => {
    const job: JobInfo = { ...running, state: 'pending', progress: undefined, reason: 'Slurm: PENDING (Resources)', unreachable: 'Slurm controller unreachable (slurm_load_jobs error).' };
    assert.equal(jobStateText(job, '无法连接，将重试'), 'pending (无法连接，将重试)');
    assert.equal(jobIcon(job), 'debug-disconnect');
    assert.equal(jobTooltip(job), 'swift sft --model m\nSlurm: PENDING (Resources)\nSlurm controller unreachable (slurm_load_jobs error).');
  });

  it('shows a finished job by its final state even if the last look could not reach the host', () => {
    const job: JobInfo = { ...running, state: 'completed', unreachable: hostDown };
    assert.equal(jobIcon(job), 'pass');
    assert.equal(isUnreachable({ unreachable: '' }), false);
  });

  it('says a run diverged at its step, with a warning icon and the reason in the tooltip', () => {
    const job = { ...running, divergedAtStep: 3, divergence: 'Training diverged at step 3 (grad_norm=Infinity): ...' };
    assert.equal(jobStateText(job), 'running 40% (diverged at step 3)');
    assert.equal(jobStateText({ ...job, unreachable: 'Host unreachable' }, '无法连接，将重试', '在第 {0} 步发散'), 'running 40% (无法连接，将重试; 在第 3 步发散)');
    assert.equal(jobIcon(job), 'warning');
    assert.equal(jobIcon({ ...job, state: 'failed' }), 'error');
    assert.match(jobTooltip(job), /Training diverged at step 3/);
  });
});
