// "Enable GPU (CUDA)": installs the GPU runtime through the sidecar (gpu/status, gpu/enable with progress) and restarts
// the sidecar so it loads the GPU build of ONNX Runtime.
import * as vscode from 'vscode';
import { formatBytes } from '../common/format';
import { options } from '../options';
import { GpuMethods, GpuStatusResult } from '../sidecar/protocol.generated';
import { errorMessage, isCancellation } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import { describeGpus, enableProgress, enableStep, gpuOffered } from './gpuEnable';

export function registerGpuFeatures(context: vscode.ExtensionContext, sidecar: SidecarHost): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('modelscope.enableGpu', () =>
      enableGpu(sidecar).catch((e) => vscode.window.showErrorMessage(vscode.l10n.t('Enabling the GPU failed: {0}', errorMessage(e)))),
    ),
  );
  // The palette shows the command once a started sidecar has found a GPU (or an installed runtime). Not awaited: the
  // probe must not hold back the requests that wait for start-up.
  sidecar.addStartHook(async (send) => {
    void send(GpuMethods.status, { cudaPath: options.cudaPath() }).then(
      (status) => vscode.commands.executeCommand('setContext', 'modelscope.gpuOffered', gpuOffered(status)),
      (error) => sidecar.log.warn(`GPU probe failed: ${errorMessage(error)}`),
    );
  });
}

async function enableGpu(sidecar: SidecarHost): Promise<void> {
  const status = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Looking for an NVIDIA GPU and CUDA...') },
    () => sidecar.request(GpuMethods.status, { cudaPath: options.cudaPath() }),
  );
  let force = false;
  switch (enableStep(status)) {
    case 'unsupported':
      void vscode.window.showErrorMessage(vscode.l10n.t('GPU support is not available here: {0}', status.problem ?? ''));
      return;
    case 'inUse':
      void vscode.window.showInformationMessage(vscode.l10n.t('The GPU runtime is installed and in use. {0}', status.summary));
      return;
    case 'restartNeeded':
      await offerRestart(sidecar, vscode.l10n.t('The GPU runtime is installed in {0}.', status.folder ?? ''));
      return;
    case 'noGpu': {
      const anyway = vscode.l10n.t('Install Anyway');
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t('No NVIDIA GPU was found, so the GPU runtime would not be used. {0}', status.summary),
        anyway,
      );
      if (answer !== anyway) {
        return;
      }
      force = true;
      break;
    }
    case 'install':
      break;
  }

  const enableId = `gpu-${Date.now().toString(36)}`;
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Installing the GPU runtime for {0}', describeGpus(status) || 'CUDA'),
      cancellable: true,
    },
    async (progress, token) => {
      let percent = 0;
      const sub = sidecar.onNotification(GpuMethods.progress, (p) => {
        if (p.enableId === enableId) {
          const step = enableProgress(p, percent);
          percent = step.percent;
          progress.report({ increment: step.increment, message: step.message });
        }
      });
      try {
        return await sidecar.request(GpuMethods.enable, { enableId, source: options.gpuPackageSource(), force }, token);
      } catch (error) {
        if (!isCancellation(error)) {
          void vscode.window.showErrorMessage(vscode.l10n.t('Installing the GPU runtime failed: {0}', errorMessage(error)));
        }
        return undefined;
      } finally {
        sub.dispose();
      }
    },
  );
  if (result) {
    await offerRestart(
      sidecar,
      result.alreadyInstalled
        ? vscode.l10n.t('The GPU runtime is installed in {0}.', result.folder)
        : vscode.l10n.t('Installed the GPU runtime ({0}, SHA-256 verified) in {1}.', formatBytes(result.downloadedBytes), result.folder),
    );
  }
}

/** The sidecar chose its ONNX Runtime when it started: restarting it (which unloads the playground's models) loads the GPU build. */
async function offerRestart(sidecar: SidecarHost, done: string): Promise<void> {
  const restart = vscode.l10n.t('Restart Sidecar');
  const answer = await vscode.window.showInformationMessage(
    vscode.l10n.t('{0} Restart the sidecar to run models on the GPU (loaded models are unloaded).', done),
    restart,
  );
  if (answer !== restart) {
    return;
  }
  await sidecar.restart();
  const after: GpuStatusResult = await sidecar.request(GpuMethods.status, { cudaPath: options.cudaPath() });
  // The summary names the device models will use, or the one thing still missing (CUDA libraries, driver) and its fix.
  void vscode.window.showInformationMessage(after.summary);
}
