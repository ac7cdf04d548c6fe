// "Download" of a repository with several ONNX variants: offer only the variant that would run on this machine plus the
// shared files (the sidecar decides which files those are), or everything.
import * as vscode from 'vscode';
import { options } from '../options';
import { InferenceDownloadPlanResult, InferenceMethods } from '../sidecar/protocol.generated';
import { errorMessage } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import { variantChoices } from './variantChoices';

/**
 * What to download of a whole model: the include list of the picked choice, undefined for everything (also when the
 * sidecar cannot plan, e.g. offline), or 'cancel'.
 */
export async function askVariantDownload(sidecar: SidecarHost, modelId: string, revision?: string): Promise<string[] | undefined | 'cancel'> {
  let plan: InferenceDownloadPlanResult;
  try {
    plan = await sidecar.request(InferenceMethods.downloadPlan, { modelId, revision, policy: options.devicePolicy() });
  } catch (error) {
    sidecar.log.info(`inference/downloadPlan for ${modelId}: ${errorMessage(error)}; downloading every file`);
    return undefined;
  }
  const choices = variantChoices(plan, {
    only: (file) => vscode.l10n.t('Only {0} and the shared files', file),
    files: (count, size) => vscode.l10n.t('{0} files, {1}', count, size),
    all: (count) => vscode.l10n.t('All {0} variants', count),
  });
  if (choices.length === 0) {
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(choices, { title: vscode.l10n.t('{0} holds several ONNX variants. What should be downloaded?', modelId) });
  return picked ? picked.include : 'cancel';
}
