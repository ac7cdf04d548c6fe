// Model card webview: facts table and the README rendered by a safe local renderer (no remote content).
import * as vscode from 'vscode';
import { escapeHtml } from '../common/html';
import { formatBytes } from '../common/format';
import { errorMessage } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import { createPanel, messageOf, renderPanel } from '../webviews/webviewPanel';
import { renderMarkdown } from './markdown';
import { ModelsCardResult, ModelsMethods } from '../sidecar/protocol.generated';

export class ModelCardPanels implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sidecar: SidecarHost,
  ) {}

  get openModelIds(): string[] {
    return [...this.panels.keys()];
  }

  async show(modelId: string): Promise<void> {
    let panel = this.panels.get(modelId);
    if (panel) {
      panel.reveal();
      return;
    }
    panel = createPanel(this.extensionUri, 'modelscope.modelCard', modelId);
    this.panels.set(modelId, panel);
    panel.onDidDispose(() => this.panels.delete(modelId));
    panel.webview.onDidReceiveMessage((raw) => {
      const message = messageOf(raw, ['download', 'runLocally', 'finetune', 'clone'] as const);
      if (!message) {
        return;
      }
      const command = { download: 'modelscope.download', runLocally: 'modelscope.runLocally', finetune: 'modelscope.finetune', clone: 'modelscope.cloneRepository' }[message.type];
      void vscode.commands.executeCommand(command, modelId);
    });
    renderPanel(panel, this.extensionUri, { title: modelId, body: `<p class="muted">${escapeHtml(vscode.l10n.t('Loading {0}...', modelId))}</p>` });
    try {
      const card = await this.sidecar.request(ModelsMethods.card, { modelId });
      renderPanel(panel, this.extensionUri, { title: modelId, body: this.body(modelId, card), script: 'modelCard.js' });
    } catch (error) {
      renderPanel(panel, this.extensionUri, {
        title: modelId,
        body: `<p class="error">${escapeHtml(vscode.l10n.t('Could not load the model card: {0}', errorMessage(error)))}</p>`,
      });
    }
  }

  dispose(): void {
    for (const panel of this.panels.values()) {
      panel.dispose();
    }
  }

  private body(modelId: string, card: ModelsCardResult): string {
    const d = card.detail;
    const row = (label: string, value: string | undefined) =>
      value ? `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>` : '';
    const flags = [d.private ? vscode.l10n.t('Private') : '', d.gated ? vscode.l10n.t('Gated') : ''].filter(Boolean).join(', ');
    return `
<header>
  <h1 id="model-id">${escapeHtml(modelId)}</h1>
  ${d.description ? `<p class="muted">${escapeHtml(d.description)}</p>` : ''}
  <div class="actions">
    <button data-action="download">${escapeHtml(vscode.l10n.t('Download'))}</button>
    <button data-action="runLocally" class="secondary">${escapeHtml(vscode.l10n.t('Run Locally'))}</button>
    <button data-action="finetune" class="secondary">${escapeHtml(vscode.l10n.t('Fine-tune Remotely'))}</button>
    <button data-action="clone" class="secondary">${escapeHtml(vscode.l10n.t('Clone Repository'))}</button>
  </div>
</header>
<table class="facts">
  ${row(vscode.l10n.t('License'), d.license)}
  ${row(vscode.l10n.t('Tasks'), d.tasks?.join(', '))}
  ${row(vscode.l10n.t('Size'), d.fileSize ? formatBytes(d.fileSize) : undefined)}
  ${row(vscode.l10n.t('Revisions'), d.revisions?.join(', '))}
  ${row(vscode.l10n.t('Downloads'), String(d.downloads ?? 0))}
  ${row(vscode.l10n.t('Likes'), String(d.likes ?? 0))}
  ${row(vscode.l10n.t('Tags'), d.tags?.join(', '))}
  ${row(vscode.l10n.t('Access'), flags)}
</table>
<article class="markdown">${renderMarkdown(card.markdown || d.readme || '')}</article>`;
  }
}
