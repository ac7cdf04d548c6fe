// How a job reads in the Jobs view and the job panel. No `vscode` import (unit-tested in plain Node).
import type { JobInfo } from '../sidecar/protocol.generated';

const stateIcons: Record<string, string> = {
  pending: 'clock',
  running: 'sync~spin',
  completed: 'pass',
  failed: 'error',
  cancelled: 'circle-slash',
  unknown: 'question',
};

/** True while the sidecar could not reach the job's host or Slurm controller: the state is the last one seen. */
export function isUnreachable(job: Pick<JobInfo, 'unreachable'>): boolean {
  return typeof job.unreachable === 'string' && job.unreachable.length > 0;
}

/**
 * "running 40%", "running 40% (unreachable, will retry)" while the host or controller does not answer, and
 * "running 60% (diverged at step 3)" once the loss went NaN/Infinity.
 */
export function jobStateText(
  job: Pick<JobInfo, 'state' | 'progress' | 'unreachable' | 'divergedAtStep'>,
  unreachableLabel = 'unreachable, will retry',
  divergedLabel = 'diverged at step {0}',
): string {
  const percent = job.progress ? ` ${Math.round(job.progress.percent)}%` : '';
  const notes = [isUnreachable(job) ? unreachableLabel : '', isDiverged(job) ? divergedLabel.replace('{0}', String(job.divergedAtStep)) : ''].filter((n) => n);
  return `${job.state}${percent}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

/** Codicon id: a disconnected plug while unreachable (never the failure icon), else the state's icon. */
export function jobIcon(job: Pick<JobInfo, 'state' | 'unreachable' | 'divergedAtStep'>): string {
  if (isUnreachable(job) && !['completed', 'failed', 'cancelled'].includes(job.state)) {
    return 'debug-disconnect';
  }
  return isDiverged(job) && job.state !== 'failed' ? 'warning' : (stateIcons[job.state] ?? 'question');
}

/** Tooltip: the command, the reason, what could not be reached, and a divergence. */
export function jobTooltip(job: Pick<JobInfo, 'command' | 'reason' | 'unreachable' | 'divergence'>): string {
  return [job.command, job.reason, job.unreachable, job.divergence].filter((s) => s).join('\n');
}

/** True once swift logged a NaN or infinite loss or gradient norm: the run no longer learns. */
export function isDiverged(job: Pick<JobInfo, 'divergedAtStep'>): boolean {
  return typeof job.divergedAtStep === 'number';
}
