// "Clone Repository": git clone of a model through the sidecar (the token reaches git only through GIT_ASKPASS).
import * as vscode from 'vscode';
import { requireModelId } from '../models/modelCommands';
import { GitMethods, RpcErrorCodes } from '../sidecar/protocol.generated';
import { errorCode, errorMessage, isCancellation } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';

export function registerGitFeatures(context: vscode.ExtensionContext, sidecar: SidecarHost): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('modelscope.cloneRepository', (arg?: unknown) => {
      const id = requireModelId(arg);
      return id ? clone(sidecar, id).catch((e) => vscode.window.showErrorMessage(errorMessage(e))) : undefined;
    }),
  );
}

async function clone(sidecar: SidecarHost, modelId: string): Promise<void> {
  const folders = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: vscode.l10n.t('Clone Here'),
    title: vscode.l10n.t('Choose a folder to clone {0} into', modelId),
  });
  if (!folders?.length) {
    return;
  }
  const targetDir = vscode.Uri.joinPath(folders[0], modelId.split('/').pop() ?? modelId).fsPath;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Cloning {0}', modelId), cancellable: true },
    async (progress, token) => {
      const sub = sidecar.onNotification(GitMethods.progress, (p) => {
        if (p.modelId === modelId) {
          progress.report({ message: `${p.phase} ${p.percent}%` });
        }
      });
      try {
        return await sidecar.request(GitMethods.clone, { modelId, targetDir }, token);
      } catch (error) {
        if (errorCode(error) === RpcErrorCodes.authenticationRequired) {
          // git refused the session's credentials: auth/sessionExpired asks to sign in; say what happens to the clone.
          void vscode.window.showWarningMessage(
            vscode.l10n.t('Clone of {0} stopped because the ModelScope session ended. Sign in again and clone it again.', modelId),
          );
        } else if (!isCancellation(error)) {
          void vscode.window.showErrorMessage(vscode.l10n.t('Clone of {0} failed: {1}', modelId, errorMessage(error)));
        }
        return undefined;
      } finally {
        sub.dispose();
      }
    },
  );
  if (result) {
    const open = vscode.l10n.t('Open Folder');
    if ((await vscode.window.showInformationMessage(vscode.l10n.t('Cloned {0} into {1}.', modelId, result.path), open)) === open) {
      await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(result.path), { forceNewWindow: true });
    }
  }
}
