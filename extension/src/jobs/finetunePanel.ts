// The "Fine-tune remotely" form: presets, the exact command and its validation (jobs/preview), then jobs/submit.
import * as vscode from 'vscode';
import { escapeHtml } from '../common/html';
import { errorMessage } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import { createPanel, messageOf, renderPanel } from '../webviews/webviewPanel';
import { formValuesFromSpec, JobFormValues, parseJobForm, placePreviewErrors, unknownHostFrom } from './jobForm';
import { JobInfo, JobPreset, JobPreviewResult, JobsMethods, JobSpec } from '../sidecar/protocol.generated';

/** Runs `action`; when the SSH host is unknown, shows its fingerprint, trusts it on consent and retries once. */
export async function withHostTrust<T>(sidecar: SidecarHost, action: () => Promise<T>): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    const host = unknownHostFrom(error);
    if (!host) {
      throw error;
    }
    const trust = vscode.l10n.t('Trust Host');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('The authenticity of host {0}:{1} cannot be established.', host.host, host.port),
      { modal: true, detail: vscode.l10n.t('Its key fingerprint is {0}. Connect and remember this host?', host.fingerprint) },
      trust,
    );
    if (answer !== trust) {
      return undefined;
    }
    await sidecar.request(JobsMethods.trustHost, host);
    return action();
  }
}

type FieldType = 'select' | 'file' | 'gpus' | 'dtype' | 'bool';
const fields = (): { name: keyof JobSpec; label: string; type?: FieldType; placeholder?: string }[] => [
  { name: 'backend', label: vscode.l10n.t('Backend'), placeholder: 'ssh://user@gpu-host:22 or slurm://user@login-node' },
  { name: 'identityFile', label: vscode.l10n.t('Identity file'), type: 'file', placeholder: '~/.ssh/id_ed25519' },
  { name: 'model', label: vscode.l10n.t('Model'), placeholder: 'qwen/Qwen2.5-0.5B-Instruct' },
  { name: 'dataset', label: vscode.l10n.t('Datasets'), placeholder: "AI-ModelScope/alpaca-gpt4-data-zh#500 '/data/my file.jsonl'" },
  { name: 'uploadDataset', label: vscode.l10n.t('Local dataset to upload'), placeholder: '/path/to/train.jsonl' },
  { name: 'tuner', label: vscode.l10n.t('Tuner'), type: 'select' },
  { name: 'numTrainEpochs', label: vscode.l10n.t('Epochs'), placeholder: '1' },
  { name: 'maxSteps', label: vscode.l10n.t('Max steps'), placeholder: '' },
  { name: 'learningRate', label: vscode.l10n.t('Learning rate'), placeholder: '1e-4' },
  { name: 'loraRank', label: vscode.l10n.t('LoRA rank'), placeholder: '8' },
  { name: 'loraAlpha', label: vscode.l10n.t('LoRA alpha'), placeholder: '32' },
  { name: 'batchSize', label: vscode.l10n.t('Batch size'), placeholder: '1' },
  { name: 'maxLength', label: vscode.l10n.t('Max length'), placeholder: '2048' },
  { name: 'gpusPerNode', label: vscode.l10n.t('GPUs per node'), placeholder: '1' },
  { name: 'gpuIndices', label: vscode.l10n.t('GPUs (SSH: nvidia-smi numbers)'), type: 'gpus', placeholder: vscode.l10n.t('least busy') },
  { name: 'nodes', label: vscode.l10n.t('Nodes'), placeholder: '1' },
  { name: 'timeLimitMinutes', label: vscode.l10n.t('Time limit (minutes)'), placeholder: '' },
  { name: 'cpusPerTask', label: vscode.l10n.t('CPUs per task (Slurm)'), placeholder: '' },
  { name: 'saveSteps', label: vscode.l10n.t('Save every N steps'), placeholder: '500' },
  { name: 'saveTotalLimit', label: vscode.l10n.t('Checkpoints to keep'), placeholder: vscode.l10n.t('all') },
  { name: 'saveOnlyModel', label: vscode.l10n.t('Save weights only (no resume)'), type: 'bool' },
  { name: 'bnbComputeDtype', label: vscode.l10n.t('QLoRA compute dtype'), type: 'dtype' },
  { name: 'outputDir', label: vscode.l10n.t('Output directory'), placeholder: 'output' },
  { name: 'extraArgs', label: vscode.l10n.t('Extra swift arguments'), placeholder: "--gradient_accumulation_steps 16 --system 'You are a helpful assistant.'" },
];

/** The preview as shown: the environment the wrapper exports, then one argument per line (as swift gets them). */
export function previewText(preview: JobPreviewResult): string {
  const env = Object.entries(preview.environment ?? {}).map(([k, v]) => `${k}=${v}`);
  const argv = (preview.argv ?? []).map((a, i) => (i === 0 ? a : `  ${a.startsWith('--') ? '' : '  '}${JSON.stringify(a)}`));
  return [preview.command, '', ...env, ...(env.length ? [''] : []), ...(argv.length ? [vscode.l10n.t('Arguments swift receives:'), ...argv] : [])].join('\n');
}

export class FinetunePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private presets: JobPreset[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sidecar: SidecarHost,
    private readonly onSubmitted: (job: JobInfo) => void,
  ) {}

  async show(initial: Partial<JobSpec>): Promise<void> {
    const values = formValuesFromSpec({ tuner: 'lora', numTrainEpochs: 1, ...initial });
    if (!this.panel) {
      this.panel = createPanel(this.extensionUri, 'modelscope.finetune', vscode.l10n.t('Fine-tune Remotely'));
      this.panel.onDidDispose(() => (this.panel = undefined));
      this.panel.webview.onDidReceiveMessage((m) => void this.onMessage(m));
      this.presets = await this.sidecar
        .request(JobsMethods.presets, {})
        .then((r) => r.presets)
        .catch(() => []);
      // The first values travel in the page itself: a message posted while the new page loads can arrive before its
      // script listens (seen on a loaded machine: the model picked in the tree was missing from the form).
      this.render(values);
    } else {
      this.panel.reveal();
      void this.panel.webview.postMessage({ type: 'values', values });
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }

  /** Shows the host's GPUs with their use (nvidia-smi) and puts the picked ones in the form. */
  private async pickGpus(spec: JobSpec, post: (m: unknown) => void): Promise<void> {
    if (!spec.backend.startsWith('ssh://')) {
      void vscode.window.showInformationMessage(vscode.l10n.t('GPUs can be picked on an SSH host; Slurm chooses a job\'s GPUs (set GPUs per node).'));
      return;
    }
    try {
      const host = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Asking {0} for its GPUs...', spec.backend) },
        () => withHostTrust(this.sidecar, () => this.sidecar.request(JobsMethods.inspectHost, { ...spec, gpuIndices: undefined })),
      );
      if (!host) {
        return;
      }
      if (host.gpus.length === 0) {
        void vscode.window.showWarningMessage(vscode.l10n.t('nvidia-smi lists no GPU on {0}.', host.host));
        return;
      }
      const picked = await vscode.window.showQuickPick(
        host.gpus.map((g) => ({
          label: `GPU ${g.index}: ${g.name}`,
          description: vscode.l10n.t('{0} of {1} MiB used, {2}% busy', g.memoryUsedMiB, g.memoryTotalMiB, g.utilizationPercent),
          detail: g.busy ? vscode.l10n.t('In use by another job') : undefined,
          picked: spec.gpuIndices?.includes(g.index) ?? false,
          index: g.index,
        })),
        { canPickMany: true, title: vscode.l10n.t('GPUs on {0} (ms-swift {1})', host.host, host.swiftVersion) },
      );
      if (picked) {
        post({ type: 'values', values: { gpuIndices: picked.map((p) => p.index).join(','), gpusPerNode: '' } });
      }
    } catch (error) {
      post({ type: 'validation', fieldErrors: [], errors: [errorMessage(error)] });
    }
  }

  private render(values: JobFormValues): void {
    const t = (s: string) => escapeHtml(s);
    const rows = fields()
      .map((f) => {
        const label = `<label for="f-${f.name}">${t(f.label)}</label>`;
        let input: string;
        if (f.type === 'select') {
          input = `<select id="f-${f.name}" name="${f.name}"><option value="lora">LoRA</option><option value="qlora">QLoRA</option><option value="full">${t(vscode.l10n.t('Full'))}</option></select>`;
        } else if (f.type === 'dtype') {
          input = `<select id="f-${f.name}" name="${f.name}"><option value="">${t(vscode.l10n.t("the model's dtype"))}</option><option value="float16">float16</option><option value="bfloat16">bfloat16</option><option value="float32">float32</option></select>`;
        } else if (f.type === 'bool') {
          input = `<select id="f-${f.name}" name="${f.name}"><option value="">${t(vscode.l10n.t('default (no)'))}</option><option value="true">${t(vscode.l10n.t('yes'))}</option><option value="false">${t(vscode.l10n.t('no'))}</option></select>`;
        } else if (f.type === 'gpus') {
          input = `<span><input id="f-${f.name}" name="${f.name}" placeholder="${t(f.placeholder ?? '')}" size="20"> <button type="button" class="secondary" id="pick-gpus">${t(vscode.l10n.t('Pick GPUs...'))}</button></span>`;
        } else if (f.type === 'file') {
          input = `<span><input id="f-${f.name}" name="${f.name}" placeholder="${t(f.placeholder ?? '')}" size="40"> <button type="button" class="secondary" id="pick-identity">${t(vscode.l10n.t('Browse...'))}</button></span>`;
        } else {
          input = `<input id="f-${f.name}" name="${f.name}" placeholder="${t(f.placeholder ?? '')}" size="50">`;
        }
        return `${label}${input}<div class="field-error" id="e-${f.name}"></div>`;
      })
      .join('\n');
    const presetOptions = this.presets.map((p) => `<option value="${t(p.id)}">${t(p.label)}</option>`).join('');
    renderPanel(this.panel!, this.extensionUri, {
      title: vscode.l10n.t('Fine-tune Remotely'),
      script: 'finetune.js',
      body: `
<h1>${t(vscode.l10n.t('Fine-tune Remotely'))}</h1>
<p class="muted">${t(vscode.l10n.t('Runs ms-swift (swift sft) on your server over SSH or on a Slurm cluster.'))}</p>
<form class="grid" id="form">
  <label for="preset">${t(vscode.l10n.t('Preset'))}</label>
  <select id="preset"><option value="">${t(vscode.l10n.t('(none)'))}</option>${presetOptions}</select>
  <div class="field-error"></div>
  ${rows}
</form>
<div class="actions">
  <button id="preview" type="button">${t(vscode.l10n.t('Preview Command'))}</button>
  <button id="submit" type="button" disabled>${t(vscode.l10n.t('Submit Job'))}</button>
</div>
<div id="errors" class="error"></div>
<div id="warnings" class="warning"></div>
<h2>${t(vscode.l10n.t('Command'))}</h2>
<pre id="command" class="log">${t(vscode.l10n.t('Press "Preview Command" to see the exact command that will run.'))}</pre>`,
      data: { values },
    });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const message = messageOf(raw, ['preview', 'submit', 'preset', 'pickIdentityFile', 'pickGpus'] as const);
    if (!message || !this.panel) {
      return;
    }
    const post = (m: unknown) => void this.panel?.webview.postMessage(m);
    if (message.type === 'preset') {
      const preset = this.presets.find((p) => p.id === message.id);
      if (preset) {
        post({ type: 'values', values: formValuesFromSpec(preset.spec) });
      }
      return;
    }
    if (message.type === 'pickIdentityFile') {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, title: vscode.l10n.t('Choose an SSH identity file') });
      if (picked?.[0]) {
        post({ type: 'values', values: { identityFile: picked[0].fsPath } });
      }
      return;
    }
    const values: JobFormValues = {};
    const rawValues = message.values;
    if (typeof rawValues === 'object' && rawValues) {
      for (const f of fields()) {
        const v = (rawValues as Record<string, unknown>)[f.name];
        if (typeof v === 'string') {
          values[f.name] = v;
        }
      }
    }
    const { spec, errors } = parseJobForm(values);
    if (message.type === 'pickGpus') {
      await this.pickGpus(spec, post);
      return;
    }
    if (errors.length) {
      post({ type: 'validation', fieldErrors: errors, errors: [] });
      return;
    }
    try {
      const preview = await withHostTrust(this.sidecar, () => this.sidecar.request(JobsMethods.preview, spec));
      if (!preview) {
        return;
      }
      // jobs/preview is the one validator: its errors go beside their fields, the rest above the command.
      const shown = placePreviewErrors(preview.errors, fields().map((f) => f.name));
      post({ type: 'validation', ...shown, command: previewText(preview), script: preview.script, warnings: preview.warnings ?? [] });
      if (message.type !== 'submit' || preview.errors.length) {
        return;
      }
      // Ask the host first: swift through its saved environment, bitsandbytes for QLoRA, busy GPUs.
      const host = await withHostTrust(this.sidecar, () => this.sidecar.request(JobsMethods.inspectHost, spec));
      if (!host) {
        return;
      }
      if (host.warnings.length) {
        post({ type: 'warnings', warnings: host.warnings });
        const submitAnyway = vscode.l10n.t('Submit Anyway');
        const answer = await vscode.window.showWarningMessage(vscode.l10n.t('{0} may not run as expected.', host.host), { modal: true, detail: host.warnings.join('\n\n') }, submitAnyway);
        if (answer !== submitAnyway) {
          post({ type: 'validation', fieldErrors: [], errors: [], command: previewText(preview), script: preview.script, warnings: host.warnings });
          return;
        }
      }
      const job = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Submitting the fine-tuning job...') },
        () => withHostTrust(this.sidecar, () => this.sidecar.request(JobsMethods.submit, spec)),
      );
      if (job) {
        post({ type: 'submitted', jobId: job.jobId });
        this.onSubmitted(job);
      }
    } catch (error) {
      post({ type: 'validation', fieldErrors: [], errors: [errorMessage(error)] });
    }
  }
}
