// Job view: live log tail, progress, loss chart, cancel / resume / fetch adapter. Fed by jobs/watch + jobs/update.
import * as vscode from 'vscode';
import { escapeHtml } from '../common/html';
import { errorMessage } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import { createPanel, messageOf, renderPanel } from '../webviews/webviewPanel';
import { JobInfo, JobsMethods, JobUpdateParams } from '../sidecar/protocol.generated';

export class JobPanels implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sidecar: SidecarHost,
    private readonly commands: { cancel(id: string): Promise<void>; resume(id: string): Promise<void>; fetchAdapter(id: string): Promise<void> },
  ) {
    this.subscription = sidecar.onNotification<JobUpdateParams>(JobsMethods.update, (u) => {
      void this.panels.get(u.job?.jobId)?.webview.postMessage({ type: 'update', ...u });
    });
  }

  get openJobIds(): string[] {
    return [...this.panels.keys()];
  }

  async show(jobId: string): Promise<void> {
    const existing = this.panels.get(jobId);
    if (existing) {
      existing.reveal();
      return;
    }
    const panel = createPanel(this.extensionUri, 'modelscope.job', vscode.l10n.t('Job {0}', jobId));
    this.panels.set(jobId, panel);
    panel.onDidDispose(() => {
      this.panels.delete(jobId);
      void this.sidecar.request(JobsMethods.unwatch, { jobId }).catch(() => undefined);
    });
    panel.webview.onDidReceiveMessage((raw) => {
      const m = messageOf(raw, ['cancel', 'resume', 'fetchAdapter'] as const);
      if (m) {
        void this.commands[m.type](jobId);
      }
    });
    const t = (s: string) => escapeHtml(s);
    let job: JobInfo | undefined;
    let lines: string[] = [];
    try {
      job = await this.sidecar.request(JobsMethods.get, { jobId });
      lines = (await this.sidecar.request(JobsMethods.logs, { jobId, tailLines: 200 }).catch(() => ({ lines: [] as string[] }))).lines;
    } catch (error) {
      renderPanel(panel, this.extensionUri, { title: jobId, body: `<p class="error">${t(errorMessage(error))}</p>` });
      return;
    }
    renderPanel(panel, this.extensionUri, {
      title: vscode.l10n.t('Job {0}', jobId),
      script: 'jobPanel.js',
      data: { job, lines, labels: { loss: vscode.l10n.t('Loss'), evalLoss: vscode.l10n.t('Eval loss'), step: vscode.l10n.t('Step'), noPoints: vscode.l10n.t('No loss values yet.'), unreachable: vscode.l10n.t('unreachable, will retry'), diverged: vscode.l10n.t('diverged at step {0}'), gpus: vscode.l10n.t('GPUs') } },
      body: `
<h1 id="job-id">${t(jobId)}</h1>
<p><span id="job-state" class="status"></span> <span id="job-reason" class="muted"></span></p>
<p class="muted" id="job-backend"></p>
<p class="warning" id="job-divergence" role="alert"></p>
<p class="warning" id="job-warnings"></p>
<div class="actions">
  <button id="cancel" data-action="cancel">${t(vscode.l10n.t('Cancel'))}</button>
  <button id="resume" data-action="resume" class="secondary">${t(vscode.l10n.t('Resume'))}</button>
  <button id="fetch" data-action="fetchAdapter" class="secondary">${t(vscode.l10n.t('Fetch Adapter'))}</button>
</div>
<div class="bar-track"><div class="bar" id="progress-bar"></div></div>
<p id="progress-text" class="status"></p>
<h2>${t(vscode.l10n.t('Training loss'))}</h2>
<svg class="chart" id="chart" viewBox="0 0 800 220" preserveAspectRatio="none" role="img" aria-label="${t(vscode.l10n.t('Training loss'))}"></svg>
<h2>${t(vscode.l10n.t('Command'))}</h2>
<pre id="job-command" class="log"></pre>
<h2>${t(vscode.l10n.t('Log'))}</h2>
<div id="log" class="log"></div>`,
    });
    await this.sidecar.request(JobsMethods.watch, { jobId }).catch((e) => this.sidecar.log.warn(`jobs/watch failed: ${errorMessage(e)}`));
  }

  dispose(): void {
    this.subscription.dispose();
    for (const p of this.panels.values()) {
      p.dispose();
    }
  }
}
