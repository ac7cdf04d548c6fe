// Wires the download commands of the Models view: download (a model, a file or a folder), download matching a glob,
// reveal in the cache, delete from the cache.
import * as vscode from 'vscode';
import { askVariantDownload } from '../inference/variantDownload';
import { requireModelId } from '../models/modelCommands';
import { ModelTreeNode } from '../models/modelTreeModel';
import { SidecarHost } from '../sidecar/sidecarHost';
import { DownloadService } from './downloadService';

export function registerDownloadFeatures(context: vscode.ExtensionContext, sidecar: SidecarHost): DownloadService {
  const downloads = new DownloadService(sidecar);
  context.subscriptions.push(
    vscode.commands.registerCommand('modelscope.download', async (arg?: unknown, args?: { include?: string[]; revision?: string }) => {
      const id = requireModelId(arg);
      if (!id) {
        return undefined;
      }
      const node = arg as ModelTreeNode;
      let include = args?.include ?? (node?.kind === 'entry' ? [node.entry.type === 'dir' ? `${node.entry.path}/**` : node.entry.path] : undefined);
      if (!include) {
        // A whole model: with several ONNX variants, offer only the one that runs here.
        const variant = await askVariantDownload(sidecar, id, args?.revision);
        if (variant === 'cancel') {
          return undefined;
        }
        include = variant;
      }
      return downloads.download({ modelId: id, include, revision: args?.revision });
    }),
    vscode.commands.registerCommand('modelscope.downloadMatching', async (arg?: unknown, patterns?: string) => {
      const id = requireModelId(arg);
      if (!id) {
        return undefined;
      }
      const text =
        patterns ??
        (await vscode.window.showInputBox({
          title: vscode.l10n.t('Download files matching glob'),
          prompt: vscode.l10n.t('Glob patterns separated by commas or spaces, e.g. *.json, onnx/**'),
          value: '*.json, *.md',
        }));
      const include = text?.split(/[\s,]+/).filter((p) => p.length > 0);
      if (!include?.length) {
        return undefined;
      }
      return downloads.download({ modelId: id, include });
    }),
    vscode.commands.registerCommand('modelscope.revealInCache', (arg?: unknown) => {
      const id = requireModelId(arg);
      return id ? downloads.revealInCache(id) : undefined;
    }),
    vscode.commands.registerCommand('modelscope.deleteFromCache', (arg?: unknown) => {
      const id = requireModelId(arg);
      return id ? downloads.deleteFromCache(id) : undefined;
    }),
  );
  return downloads;
}
