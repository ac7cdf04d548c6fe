// Activation: creates the sidecar host and wires each feature; no logic of its own.
import * as vscode from 'vscode';
import { AccountStatusBar } from './auth/accountStatusBar';
import { ModelScopeAuthProvider, providerId } from './auth/authProvider';
import { SessionStore } from './auth/sessionStore';
import { SignInArgs } from './auth/signInFlow';
import { registerDownloadFeatures } from './downloads/downloadCommands';
import { registerGitFeatures } from './git/gitCommands';
import { registerGpuFeatures } from './gpu/gpuCommands';
import { InferenceFeatures, registerInferenceFeatures } from './inference/inferenceCommands';
import { JobFeatures, registerJobFeatures } from './jobs/jobCommands';
import { ModelFeatures, registerModelFeatures } from './models/modelCommands';
import { needsSidecarRestart, options } from './options';
import { SidecarHost } from './sidecar/sidecarHost';
import { SidecarState } from './sidecar/sidecarClient';

/** What activate() returns: the end-to-end tests drive and observe the extension through it. */
export interface ModelIdeApi {
  sidecar: {
    /** Any method by name, untyped: tests reach their stand-in sidecar's test/* methods this way. */
    request<R>(method: string, params?: unknown, token?: vscode.CancellationToken): Promise<R>;
    restart(): Promise<void>;
    readonly state: SidecarState;
    readonly processId: number | undefined;
  };
  getState(): ModelIdeState;
}

export interface ModelIdeState {
  endpoint: string;
  sidecarState: SidecarState;
  sidecarProcessId: number | undefined;
  sidecarStarts: number;
  signedIn: boolean;
  userName: string | undefined;
  accounts: string[];
  lastBrowserUrl: string | undefined;
  openModelCards: string[];
  completedDownloads: { modelId: string; localPath: string; files: number; bytes: number }[];
  jobs: { jobId: string; state: string }[];
  openJobPanels: string[];
  playground: { modelDir: string; device?: string; reason?: string; generating: boolean; lastTokensPerSecond?: number } | undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<ModelIdeApi> {
  const log = vscode.window.createOutputChannel('ModelScope', { log: true });
  const sidecar = new SidecarHost(context, log, options.endpoint);
  const store = new SessionStore(context.secrets);
  const auth = new ModelScopeAuthProvider(sidecar, store);
  const statusBar = new AccountStatusBar(auth);
  context.subscriptions.push(
    log,
    sidecar,
    store,
    auth,
    statusBar,
    vscode.authentication.registerAuthenticationProvider(providerId, 'ModelScope', auth, { supportsMultipleAccounts: true }),
    auth.onDidChangeActive(() => statusBar.update()),
    vscode.commands.registerCommand('modelscope.signIn', (args?: SignInArgs) => auth.signIn(args && typeof args === 'object' ? args : undefined)),
    vscode.commands.registerCommand('modelscope.signOut', () => auth.signOut()),
    vscode.commands.registerCommand('modelscope.accountMenu', () => statusBar.showMenu()),
    vscode.commands.registerCommand('modelscope.restartSidecar', () => sidecar.restart()),
    vscode.commands.registerCommand('modelscope.showLog', () => log.show()),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('modelscope.endpoint')) {
        await auth.reload();
        statusBar.update();
      }
      if (needsSidecarRestart(e) && sidecar.client.currentState === 'running') {
        await sidecar.restart().catch((error) => log.error(`Restart after a settings change failed: ${(error as Error).message}`));
      }
    }),
  );
  await auth.reload();
  statusBar.update();

  const models: ModelFeatures = registerModelFeatures(context, sidecar, auth);
  const downloads = registerDownloadFeatures(context, sidecar);
  registerGitFeatures(context, sidecar);
  registerGpuFeatures(context, sidecar);
  const jobs: JobFeatures = registerJobFeatures(context, sidecar);
  const inference: InferenceFeatures = registerInferenceFeatures(context, sidecar, downloads);

  return {
    sidecar: {
      request: (method, params, token) => sidecar.client.request(method, params, token),
      restart: () => sidecar.restart(),
      get state() {
        return sidecar.client.currentState;
      },
      get processId() {
        return sidecar.client.processId;
      },
    },
    getState: () => ({
      endpoint: options.endpoint(),
      sidecarState: sidecar.client.currentState,
      sidecarProcessId: sidecar.client.processId,
      sidecarStarts: sidecar.client.starts,
      signedIn: !!auth.activeSession,
      userName: auth.activeSession?.userName,
      accounts: auth.sessionsForEndpoint().map((s) => s.userName),
      lastBrowserUrl: auth.lastBrowserUrl,
      openModelCards: models.cards.openModelIds,
      completedDownloads: downloads.completed.map((d) => ({ modelId: d.modelId, localPath: d.localPath, files: d.files, bytes: d.bytes })),
      jobs: jobs.tree.jobs.map((j) => ({ jobId: j.jobId, state: j.state })),
      openJobPanels: jobs.panels.openJobIds,
      playground: inference.playground.state,
    }),
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; disposing the sidecar host stops the process.
}
