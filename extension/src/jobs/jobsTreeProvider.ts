// "Jobs" view: the sidecar's persisted job list.
import * as vscode from 'vscode';
import { errorMessage } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import { JobInfo, JobsMethods } from '../sidecar/protocol.generated';
import { jobIcon, jobStateText, jobTooltip } from './jobView';

export class JobsTreeProvider implements vscode.TreeDataProvider<JobInfo>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<JobInfo | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  jobs: JobInfo[] = [];
  private error: string | undefined;
  private loaded = false;

  constructor(private readonly sidecar: SidecarHost) {}

  async reload(): Promise<void> {
    try {
      this.jobs = (await this.sidecar.request(JobsMethods.list, {})).jobs;
      this.error = undefined;
    } catch (error) {
      this.error = errorMessage(error);
    }
    this.loaded = true;
    this.emitter.fire(undefined);
  }

  /** Keeps the list current from jobs/update without a round trip. */
  upsert(job: JobInfo): void {
    const i = this.jobs.findIndex((j) => j.jobId === job.jobId);
    if (i >= 0) {
      this.jobs[i] = job;
    } else {
      this.jobs.unshift(job);
    }
    this.emitter.fire(undefined);
  }

  async getChildren(element?: JobInfo): Promise<JobInfo[]> {
    if (element) {
      return [];
    }
    if (!this.loaded) {
      await this.reload();
    }
    if (this.error) {
      void vscode.window.setStatusBarMessage(vscode.l10n.t('Could not list jobs: {0}', this.error), 5000);
    }
    return [...this.jobs].sort((a, b) => (b.submittedAt ?? '').localeCompare(a.submittedAt ?? ''));
  }

  getTreeItem(job: JobInfo): vscode.TreeItem {
    const item = new vscode.TreeItem(job.jobId, vscode.TreeItemCollapsibleState.None);
    item.id = `job:${job.jobId}`;
    item.description = `${jobStateText(job, vscode.l10n.t('unreachable, will retry'), vscode.l10n.t('diverged at step {0}'))} · ${job.spec?.model ? `${job.spec.model} · ` : ''}${job.backend}`;
    item.iconPath = new vscode.ThemeIcon(jobIcon(job));
    // The last state seen decides the menus: an unreachable running job can still be cancelled once the host is back.
    item.contextValue = `modelscope.job.${job.state}`;
    item.tooltip = jobTooltip(job);
    item.command = { command: 'modelscope.openJob', title: vscode.l10n.t('Open Job'), arguments: [job.jobId] };
    return item;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
