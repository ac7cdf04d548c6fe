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

/** "running 40%", or "running 40% (unreachable, will retry)" while the host or controller does not answer. */
export function jobStateText(job: Pick<JobInfo, 'state' | 'progress' | 'unreachable'>, unreachableLabel = 'unreachable, will retry'): string {
  const percent = job.progress ? ` ${Math.round(job.progress.percent)}%` : '';
  return `${job.state}${percent}${isUnreachable(job) ? ` (${unreachableLabel})` : ''}`;
}

/** Codicon id: a disconnected plug while unreachable (never the failure icon), else the state's icon. */
export function jobIcon(job: Pick<JobInfo, 'state' | 'unreachable'>): string {
  return isUnreachable(job) && !['completed', 'failed', 'cancelled'].includes(job.state) ? 'debug-disconnect' : (stateIcons[job.state] ?? 'question');
}

/** Tooltip: the command, the reason, and what could not be reached. */
export function jobTooltip(job: Pick<JobInfo, 'command' | 'reason' | 'unreachable'>): string {
  return [job.command, job.reason, job.unreachable].filter((s) => s).join('\n');
}
