// Downloads into the ModelScope cache with a cancellable progress notification, and cache housekeeping.
import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import { describeProgress, formatBytes, progressIncrement } from '../common/format';
import { options } from '../options';
import { DownloadsMethods, DownloadsStartResult, RpcErrorCodes } from '../sidecar/protocol.generated';
import { errorCode, errorMessage, isCancellation } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';

export interface DownloadRequest {
  modelId: string;
  revision?: string;
  include?: string[];
}

export class DownloadService {
  /** Finished downloads of this window, newest last (exported for tests). */
  readonly completed: (DownloadsStartResult & { modelId: string })[] = [];

  constructor(private readonly sidecar: SidecarHost) {}

  /** Downloads and returns the local folder, or undefined when cancelled or failed (the user was told). */
  download(request: DownloadRequest): Thenable<DownloadsStartResult | undefined> {
    const what = request.include?.length ? `${request.modelId} (${request.include.join(', ')})` : request.modelId;
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Downloading {0}', what), cancellable: true },
      async (progress, token) => {
        const downloadId = randomUUID();
        let percent = 0;
        const subscription = this.sidecar.onNotification(DownloadsMethods.progress, (p) => {
          if (p.downloadId !== downloadId) {
            return;
          }
          const step = progressIncrement(p, percent);
          percent = step.percent;
          progress.report({ message: describeProgress(p), increment: step.increment });
        });
        try {
          const result = await this.sidecar.request(
            DownloadsMethods.start,
            {
              downloadId,
              modelId: request.modelId,
              revision: request.revision,
              include: request.include,
              cacheDir: options.cacheDir(),
              offline: options.offline(),
            },
            token,
          );
          this.completed.push({ ...result, modelId: request.modelId });
          void this.announce(request.modelId, result);
          return result;
        } catch (error) {
          if (isCancellation(error) || token.isCancellationRequested) {
            void vscode.window.showInformationMessage(vscode.l10n.t('Download of {0} cancelled; it resumes where it stopped next time.', request.modelId));
          } else if (errorCode(error) === RpcErrorCodes.authenticationRequired) {
            // The session ended mid-download (auth/sessionExpired asks to sign in); the finished part is kept.
            void vscode.window.showWarningMessage(
              vscode.l10n.t('Download of {0} stopped because the ModelScope session ended. Sign in again and download it again: it resumes where it stopped.', request.modelId),
            );
          } else {
            void vscode.window.showErrorMessage(vscode.l10n.t('Download of {0} failed: {1}', request.modelId, errorMessage(error)));
          }
          return undefined;
        } finally {
          subscription.dispose();
        }
      },
    );
  }

  async cachedPath(modelId: string): Promise<string | undefined> {
    const cached = await this.sidecar.request(DownloadsMethods.cachedModels, { cacheDir: options.cacheDir() });
    return cached.models.find((m) => m.modelId.toLowerCase() === modelId.toLowerCase())?.localPath;
  }

  async revealInCache(modelId: string): Promise<void> {
    try {
      const local = await this.cachedPath(modelId);
      if (!local) {
        void vscode.window.showInformationMessage(vscode.l10n.t('{0} is not in the local cache yet.', modelId));
        return;
      }
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(local));
    } catch (error) {
      void vscode.window.showErrorMessage(errorMessage(error));
    }
  }

  async deleteFromCache(modelId: string): Promise<void> {
    const remove = vscode.l10n.t('Delete');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('Delete the cached files of {0}?', modelId),
      { modal: true, detail: vscode.l10n.t('The files can be downloaded again later.') },
      remove,
    );
    if (answer !== remove) {
      return;
    }
    try {
      const result = await this.sidecar.request(DownloadsMethods.deleteFromCache, { modelId, cacheDir: options.cacheDir() });
      void vscode.window.showInformationMessage(vscode.l10n.t('Deleted {0} cached folder(s) of {1}.', result.deleted.length, modelId));
    } catch (error) {
      void vscode.window.showErrorMessage(errorMessage(error));
    }
  }

  private async announce(modelId: string, result: DownloadsStartResult): Promise<void> {
    const reveal = vscode.l10n.t('Reveal');
    const run = vscode.l10n.t('Run Locally');
    // The sidecar's notice says when the cache was used without the hub (offline, or the hub could not be reached).
    const summary = result.notice
      ? vscode.l10n.t('{0}: {1} files, {2}, from the local cache. {3}', modelId, result.files, formatBytes(result.bytes), result.notice)
      : vscode.l10n.t('Downloaded {0}: {1} files, {2}.', modelId, result.files, formatBytes(result.bytes));
    // A file the hub lists without a SHA-256 could only be checked by its size: say so rather than imply it was verified.
    const unhashed = result.filesWithoutSha256 ?? 0;
    const caveat = unhashed > 0
      ? ' ' + vscode.l10n.t('{0} of them had no SHA-256 in the hub\'s listing: only their sizes were checked.', unhashed)
      : '';
    const choice = await vscode.window.showInformationMessage(
      summary + caveat,
      run,
      reveal,
    );
    if (choice === reveal) {
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.localPath));
    } else if (choice === run) {
      await vscode.commands.executeCommand('modelscope.runLocally', vscode.Uri.file(result.localPath));
    }
  }
}
