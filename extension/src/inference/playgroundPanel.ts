// Chat playground: loads a local model (inference/load), streams tokens (inference/token), stop = cancel.
import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import { escapeHtml } from '../common/html';
import { options } from '../options';
import { ChatMessage, InferenceLoadResult, InferenceMethods } from '../sidecar/protocol.generated';
import { errorMessage, isCancellation } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import { createPanel, messageOf, renderPanel } from '../webviews/webviewPanel';
import { modelLabel } from './modelDir';
import { PlaygroundParams, paramLimits, playgroundParams } from './playgroundParams';

const historyLimit = 100;

export interface PlaygroundState {
  modelDir: string;
  device?: string;
  reason?: string;
  /** The ONNX file that runs, relative to the model folder. */
  file?: string;
  generating: boolean;
  lastTokensPerSecond?: number;
}

export class PlaygroundPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private loaded: InferenceLoadResult | undefined;
  private modelDir: string | undefined;
  private history: ChatMessage[] = [];
  private generation: vscode.CancellationTokenSource | undefined;
  private lastTokensPerSecond: number | undefined;
  private readonly subscriptions: vscode.Disposable[];
  private activeGenerationId: string | undefined;
  /** The header's last message (loaded or load error), sent again when the page (re)loads and says it is ready. */
  private header: unknown;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly sidecar: SidecarHost,
  ) {
    const tokens = sidecar.onNotification(InferenceMethods.token, (t) => {
      if (t.generationId === this.activeGenerationId) {
        void this.panel?.webview.postMessage({ type: 'token', text: t.text });
      }
    });
    // A different model file: load it into the open playground.
    const settings = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('modelscope.inference.modelFile') && this.panel && this.loaded && !this.generation) {
        void this.unload().then(() => this.load());
      }
    });
    this.subscriptions = [tokens, settings];
  }

  get state(): PlaygroundState | undefined {
    return this.modelDir
      ? { modelDir: this.modelDir, device: this.loaded?.device, reason: this.loaded?.reason, file: this.loaded?.file, generating: !!this.generation, lastTokensPerSecond: this.lastTokensPerSecond }
      : undefined;
  }

  async open(modelDir: string): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Running models locally needs a trusted workspace.'));
      return;
    }
    if (this.modelDir !== modelDir) {
      await this.unload();
      this.modelDir = modelDir;
      this.history = this.context.globalState.get<ChatMessage[]>(this.historyKey(), []);
    }
    if (!this.panel) {
      this.panel = createPanel(this.context.extensionUri, 'modelscope.playground', vscode.l10n.t('Playground'));
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.generation?.cancel();
        void this.unload();
      });
      this.panel.webview.onDidReceiveMessage((m) => void this.onMessage(m));
    } else {
      this.panel.reveal();
    }
    this.render();
    if (!this.loaded) {
      await this.load();
    }
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.panel?.dispose();
  }

  private historyKey(): string {
    return `modelscope.playground.history:${this.modelDir}`;
  }

  private async load(): Promise<void> {
    const post = (m: unknown) => void this.panel?.webview.postMessage(m);
    try {
      this.loaded = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Loading {0}...', modelLabel(this.modelDir!)) },
        () =>
          this.sidecar.request(InferenceMethods.load, {
            modelDir: this.modelDir!,
            policy: options.devicePolicy(),
            epLibraryPath: options.epLibraryPath(),
            cudaPath: options.cudaPath(),
            file: options.modelFile(),
          }),
      );
      this.header = this.loadedMessage(this.loaded);
    } catch (error) {
      this.header = { type: 'error', message: vscode.l10n.t('Could not load the model: {0}', errorMessage(error)) };
    }
    post(this.header);
  }

  private async unload(): Promise<void> {
    const session = this.loaded?.sessionId;
    this.loaded = undefined;
    this.header = undefined;
    if (session) {
      await this.sidecar.request(InferenceMethods.unload, { sessionId: session }).catch(() => undefined);
    }
  }

  private render(): void {
    const t = (s: string) => escapeHtml(s);
    renderPanel(this.panel!, this.context.extensionUri, {
      title: vscode.l10n.t('Playground: {0}', modelLabel(this.modelDir!)),
      script: 'playground.js',
      data: {
        history: this.history,
        labels: {
          you: vscode.l10n.t('You'),
          assistant: vscode.l10n.t('Model'),
          tokensPerSecond: vscode.l10n.t('{0} tokens/s'),
          stopped: vscode.l10n.t('(stopped)'),
        },
      },
      body: `
<h1>${t(vscode.l10n.t('Playground'))}</h1>
<p class="muted" id="model-dir">${t(this.modelDir!)}</p>
<p class="status" id="device">${t(vscode.l10n.t('Loading the model...'))}</p>
<p class="status" id="model-file"></p>
<div class="params">
  <label>${t(vscode.l10n.t('Mode'))} <select id="mode"><option value="chat">${t(vscode.l10n.t('Chat'))}</option><option value="completion">${t(vscode.l10n.t('Completion'))}</option></select></label>
  <label>${t(vscode.l10n.t('Max tokens'))} <input id="maxNewTokens" type="number" min="1" max="8192" value="256" size="5"></label>
  <label>${t(vscode.l10n.t('Temperature'))} <input id="temperature" type="number" min="0" max="2" step="0.05" value="0.7" size="4"></label>
  <label>${t(vscode.l10n.t('Top-k'))} <input id="topK" type="number" min="0" max="1000" value="40" size="4"></label>
  <label>${t(vscode.l10n.t('Top-p'))} <input id="topP" type="number" min="0" max="1" step="0.05" value="0.9" size="4"></label>
  <label>${t(vscode.l10n.t('Repetition penalty'))} <input id="repetitionPenalty" type="number" min="0.01" max="10" step="0.05" value="1" size="4"></label>
</div>
<div class="chat" id="chat"></div>
<p class="error" id="error"></p>
<textarea id="prompt" rows="4" placeholder="${t(vscode.l10n.t('Type a message and press Ctrl+Enter'))}"></textarea>
<div class="actions">
  <button id="send">${t(vscode.l10n.t('Send'))}</button>
  <button id="stop" class="secondary" disabled>${t(vscode.l10n.t('Stop'))}</button>
  <button id="clear" class="secondary">${t(vscode.l10n.t('Clear'))}</button>
</div>
<p class="status" id="stats"></p>`,
    });
  }

  /** The header's device and file lines, and the parameters the inputs start from (the model's own defaults). */
  private loadedMessage(loaded: InferenceLoadResult) {
    const params: PlaygroundParams = playgroundParams(loaded.defaults);
    return {
      type: 'loaded',
      device: loaded.device,
      reason: loaded.reason,
      file: vscode.l10n.t('Runs {0}: {1}', loaded.file, loaded.fileReason),
      params,
      isChatModel: loaded.isChatModel,
      contextLength: loaded.contextLength,
    };
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m = messageOf(raw, ['ready', 'send', 'stop', 'clear'] as const);
    if (!m) {
      return;
    }
    // The page's listener exists from here on: a header posted while it was still loading may not have reached it.
    if (m.type === 'ready') {
      if (this.header) {
        void this.panel?.webview.postMessage(this.header);
      }
      return;
    }
    if (m.type === 'stop') {
      this.generation?.cancel();
      return;
    }
    if (m.type === 'clear') {
      this.history = [];
      await this.context.globalState.update(this.historyKey(), undefined);
      return;
    }
    if (typeof m.text !== 'string' || !m.text.trim() || !this.loaded || this.generation) {
      return;
    }
    const params = (typeof m.params === 'object' && m.params ? m.params : {}) as Record<string, unknown>;
    const num = (k: keyof PlaygroundParams) => {
      const v = params[k] === '' || params[k] === undefined ? NaN : Number(params[k]);
      return Number.isFinite(v) ? Math.min(paramLimits[k][1], Math.max(paramLimits[k][0], v)) : undefined;
    };
    const completion = m.mode === 'completion';
    const user: ChatMessage = { role: 'user', content: m.text };
    const generationId = randomUUID();
    this.activeGenerationId = generationId;
    this.generation = new vscode.CancellationTokenSource();
    const post = (x: unknown) => void this.panel?.webview.postMessage(x);
    try {
      const result = await this.sidecar.request(
        InferenceMethods.generate,
        {
          sessionId: this.loaded.sessionId,
          generationId,
          prompt: completion ? m.text : undefined,
          messages: completion ? undefined : [...this.history, user],
          maxNewTokens: num('maxNewTokens'),
          temperature: num('temperature'),
          topK: num('topK'),
          topP: num('topP'),
          repetitionPenalty: num('repetitionPenalty'),
        },
        this.generation.token,
      );
      this.lastTokensPerSecond = result.tokensPerSecond;
      if (this.loaded && (result.device !== this.loaded.device || result.reason !== this.loaded.reason)) {
        // The GPU failed during this generation and the model now runs on the CPU: the header says so, and why.
        this.loaded = { ...this.loaded, device: result.device, reason: result.reason };
        this.header = this.loadedMessage(this.loaded);
        post({ type: 'device', device: result.device, reason: result.reason });
      }
      if (!completion) {
        this.history = [...this.history, user, { role: 'assistant' as const, content: result.text }].slice(-historyLimit);
        await this.context.globalState.update(this.historyKey(), this.history);
      }
      post({ type: 'done', text: result.text, tokensPerSecond: result.tokensPerSecond, generatedTokens: result.generatedTokens, stopReason: result.stopReason });
    } catch (error) {
      post(isCancellation(error) ? { type: 'done', stopReason: 'cancelled' } : { type: 'error', message: errorMessage(error) });
    } finally {
      this.generation?.dispose();
      this.generation = undefined;
      this.activeGenerationId = undefined;
    }
  }
}
