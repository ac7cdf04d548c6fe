// Wires fine-tuning: the Jobs view, the form, job panels, and the finish/failure notifications.
import * as vscode from 'vscode';
import { modelIdOf } from '../models/modelCommands';
import { errorMessage } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import { FinetunePanel, withHostTrust } from './finetunePanel';
import { JobPanels } from './jobPanel';
import { registerJobSettings } from './jobSettingsCommands';
import { JobsTreeProvider } from './jobsTreeProvider';
import { JobInfo, JobsMethods, JobSpec } from '../sidecar/protocol.generated';

export interface JobFeatures {
  tree: JobsTreeProvider;
  panels: JobPanels;
  form: FinetunePanel;
}

function jobIdOf(arg: unknown): string | undefined {
  return typeof arg === 'string' ? arg : typeof (arg as JobInfo)?.jobId === 'string' ? (arg as JobInfo).jobId : undefined;
}

export function registerJobFeatures(context: vscode.ExtensionContext, sidecar: SidecarHost): JobFeatures {
  const tree = new JobsTreeProvider(sidecar);
  const lastState = new Map<string, string>();
  const warnedDivergence = new Set<string>();
  registerJobSettings(context, sidecar);

  const cancel = async (jobId: string) => {
    try {
      tree.upsert(await sidecar.request(JobsMethods.cancel, { jobId }));
    } catch (error) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not cancel {0}: {1}', jobId, errorMessage(error)));
    }
  };
  const resume = async (jobId: string) => {
    try {
      const job = await withHostTrust(sidecar, () => sidecar.request(JobsMethods.resume, { jobId }));
      if (job) {
        tree.upsert(job);
        await panels.show(job.jobId);
      }
    } catch (error) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not resume {0}: {1}', jobId, errorMessage(error)));
    }
  };
  const fetchAdapter = async (jobId: string) => {
    const target = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      openLabel: vscode.l10n.t('Fetch Here'),
      title: vscode.l10n.t('Choose where to put the adapter of {0}', jobId),
    });
    if (!target?.[0]) {
      return;
    }
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Fetching the adapter of {0}...', jobId), cancellable: true },
        (progress, token) => {
          let shown = 0;
          const sub = sidecar.onNotification(JobsMethods.fetchProgress, (p) => {
            if (p?.jobId !== jobId || p.bytesTotal <= 0) {
              return;
            }
            const percent = (p.bytesDone / p.bytesTotal) * 100;
            progress.report({ increment: percent - shown, message: vscode.l10n.t('{0} of {1} MB ({2})', (p.bytesDone / 1e6).toFixed(1), (p.bytesTotal / 1e6).toFixed(1), p.file) });
            shown = percent;
          });
          return sidecar.request(JobsMethods.fetchAdapter, { jobId, targetDir: target[0].fsPath }, token).finally(() => sub.dispose());
        },
      );
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Adapter saved to {0} ({1} files, {2} MB; {3} MB of optimizer and resume state left on the host).', result.path, result.files?.length ?? 0, ((result.bytes ?? 0) / 1e6).toFixed(1), ((result.skippedBytes ?? 0) / 1e6).toFixed(1)),
      );
    } catch (error) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not fetch the adapter of {0}: {1}', jobId, errorMessage(error)));
    }
  };

  const panels = new JobPanels(context.extensionUri, sidecar, { cancel, resume, fetchAdapter });
  const form = new FinetunePanel(context.extensionUri, sidecar, (job) => {
    tree.upsert(job);
    void panels.show(job.jobId);
  });

  context.subscriptions.push(
    tree,
    panels,
    form,
    vscode.window.createTreeView('modelscope.jobs', { treeDataProvider: tree }),
    sidecar.onNotification(JobsMethods.update, (u) => {
      if (!u?.job) {
        return;
      }
      tree.upsert(u.job);
      if (typeof u.job.divergedAtStep === 'number' && !warnedDivergence.has(u.job.jobId)) {
        warnedDivergence.add(u.job.jobId);
        void vscode.window.showWarningMessage(
          vscode.l10n.t('Fine-tuning job {0} diverged at step {1}: the loss is NaN or infinite.', u.job.jobId, u.job.divergedAtStep),
          { detail: u.job.divergence, modal: false },
        );
      }
      const before = lastState.get(u.job.jobId);
      lastState.set(u.job.jobId, u.job.state);
      if (before && before !== u.job.state) {
        if (u.job.state === 'completed') {
          void vscode.window.showInformationMessage(vscode.l10n.t('Fine-tuning job {0} completed.', u.job.jobId));
        } else if (u.job.state === 'failed') {
          const tail = (u.job.lastErrorLines ?? []).slice(-5).join('\n');
          void vscode.window.showErrorMessage(vscode.l10n.t('Fine-tuning job {0} failed.', u.job.jobId), { detail: tail, modal: false });
        }
      }
    }),
    vscode.commands.registerCommand('modelscope.refreshJobs', () => tree.reload()),
    vscode.commands.registerCommand('modelscope.openJob', (arg?: unknown) => {
      const id = jobIdOf(arg);
      return id ? panels.show(id) : undefined;
    }),
    vscode.commands.registerCommand('modelscope.cancelJob', (arg?: unknown) => {
      const id = jobIdOf(arg);
      return id ? cancel(id) : undefined;
    }),
    vscode.commands.registerCommand('modelscope.resumeJob', (arg?: unknown) => {
      const id = jobIdOf(arg);
      return id ? resume(id) : undefined;
    }),
    vscode.commands.registerCommand('modelscope.fetchAdapter', (arg?: unknown) => {
      const id = jobIdOf(arg);
      return id ? fetchAdapter(id) : undefined;
    }),
    vscode.commands.registerCommand('modelscope.finetune', (arg?: unknown) => {
      const initial: Partial<JobSpec> = {};
      if (arg instanceof vscode.Uri) {
        initial.uploadDataset = arg.fsPath;
      } else if (arg && typeof arg === 'object' && !('kind' in arg) && ('backend' in arg || 'model' in arg)) {
        Object.assign(initial, arg as Partial<JobSpec>); // a spec to prefill (walkthrough, tests)
      } else {
        const model = modelIdOf(arg);
        if (model) {
          initial.model = model;
        }
      }
      return form.show(initial);
    }),
  );
  return { tree, panels, form };
}
