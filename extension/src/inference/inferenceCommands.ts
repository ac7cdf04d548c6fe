// Wires "Run Locally" and "Open Playground".
import * as vscode from 'vscode';
import { DownloadService } from '../downloads/downloadService';
import { modelIdOf } from '../models/modelCommands';
import { CachedModelsResult, DownloadsMethods } from '../sidecar/protocol.generated';
import { errorMessage } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import { findRunnableModelDir } from './modelDir';
import { PlaygroundPanel } from './playgroundPanel';
import { askVariantDownload } from './variantDownload';
import * as path from 'path';

export interface InferenceFeatures {
  playground: PlaygroundPanel;
}

export function registerInferenceFeatures(context: vscode.ExtensionContext, sidecar: SidecarHost, downloads: DownloadService): InferenceFeatures {
  const playground = new PlaygroundPanel(context, sidecar);

  const openDir = async (dir: string) => {
    const runnable = findRunnableModelDir(dir);
    if (!runnable) {
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} holds no ONNX model (*.onnx), so it cannot run locally.', dir));
      return;
    }
    await playground.open(runnable);
  };

  const runLocally = async (arg?: unknown) => {
    if (arg instanceof vscode.Uri) {
      const stat = await vscode.workspace.fs.stat(arg);
      return openDir(stat.type & vscode.FileType.Directory ? arg.fsPath : path.dirname(arg.fsPath));
    }
    const modelId = modelIdOf(arg);
    if (modelId) {
      let local = await downloads.cachedPath(modelId).catch(() => undefined);
      if (!local) {
        const download = vscode.l10n.t('Download');
        if ((await vscode.window.showInformationMessage(vscode.l10n.t('{0} is not downloaded yet. Download it now?', modelId), download)) !== download) {
          return;
        }
        // Several ONNX variants: offer only the one that runs here, as "Download" does.
        const include = await askVariantDownload(sidecar, modelId);
        if (include === 'cancel') {
          return;
        }
        local = (await downloads.download({ modelId, include }))?.localPath;
      }
      return local ? openDir(local) : undefined;
    }
    return openPlayground();
  };

  const openPlayground = async () => {
    let cached: CachedModelsResult['models'] = [];
    try {
      cached = (await sidecar.request(DownloadsMethods.cachedModels, {})).models;
    } catch (error) {
      sidecar.log.warn(`downloads/cachedModels failed: ${errorMessage(error)}`);
    }
    const browse = { label: `$(folder-opened) ${vscode.l10n.t('Choose a folder...')}`, dir: undefined as string | undefined };
    const items = [
      ...cached.filter((m) => findRunnableModelDir(m.localPath)).map((m) => ({ label: m.modelId, description: m.revision, dir: m.localPath })),
      browse,
    ];
    const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Which model should the playground run?') });
    if (!picked) {
      return;
    }
    let dir = picked.dir;
    if (!dir) {
      const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: vscode.l10n.t('Run This Model') });
      dir = folder?.[0]?.fsPath;
    }
    if (dir) {
      await openDir(dir);
    }
  };

  context.subscriptions.push(
    playground,
    vscode.commands.registerCommand('modelscope.runLocally', runLocally),
    vscode.commands.registerCommand('modelscope.openPlayground', (arg?: unknown) => (typeof arg === 'string' ? openDir(arg) : openPlayground())),
  );
  return { playground };
}
