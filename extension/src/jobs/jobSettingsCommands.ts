// Settings that belong to fine-tuning hosts: slurmrestd (URL and user in global state, the JWT in SecretStorage,
// sent to the sidecar again after every start) and the environment to activate on a host (saved by the sidecar).
import * as vscode from 'vscode';
import { errorMessage } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import { JobsMethods } from '../sidecar/protocol.generated';

const stateKey = 'modelscope.slurmRest';
const tokenKey = 'modelscope.slurmRest.token';

interface SlurmRestSetting {
  baseUrl: string;
  userName: string;
  apiVersion: string;
}

export function registerJobSettings(context: vscode.ExtensionContext, sidecar: SidecarHost): void {
  const current = () => context.globalState.get<SlurmRestSetting>(stateKey);
  // slurmrestd's settings live in the sidecar's memory only: send them again whenever it (re)starts.
  sidecar.addStartHook(async (send) => {
    const setting = current();
    const token = setting ? await context.secrets.get(tokenKey) : undefined;
    if (setting && token) {
      await send(JobsMethods.configureSlurmRest, { ...setting, token }).catch(() => undefined);
    }
  });

  context.subscriptions.push(
    vscode.commands.registerCommand('modelscope.configureSlurmRest', async () => {
      const setting = current();
      if (setting) {
        const change = vscode.l10n.t('Change');
        const off = vscode.l10n.t('Turn Off');
        const answer = await vscode.window.showInformationMessage(
          vscode.l10n.t('Slurm jobs go through slurmrestd at {0} as {1}.', setting.baseUrl, setting.userName),
          change,
          off,
        );
        if (answer === off) {
          await sidecar.request(JobsMethods.configureSlurmRest, {});
          await context.globalState.update(stateKey, undefined);
          await context.secrets.delete(tokenKey);
          void vscode.window.showInformationMessage(vscode.l10n.t('Slurm jobs go through sbatch, squeue and scancel over SSH again.'));
          return;
        }
        if (answer !== change) {
          return;
        }
      }
      const baseUrl = await vscode.window.showInputBox({
        title: vscode.l10n.t('slurmrestd URL'),
        value: setting?.baseUrl ?? 'http://login-node:6820',
        validateInput: (v) => (/^https?:\/\/[^\s/]+(:\d{1,5})?\/?$/.test(v.trim()) ? undefined : vscode.l10n.t('Give http(s)://host:port.')),
        ignoreFocusOut: true,
      });
      if (!baseUrl) {
        return;
      }
      const userName = await vscode.window.showInputBox({
        title: vscode.l10n.t('Slurm user name'),
        value: setting?.userName ?? '',
        validateInput: (v) => (/^[A-Za-z0-9._-]+$/.test(v.trim()) ? undefined : vscode.l10n.t('Give the Slurm user name.')),
        ignoreFocusOut: true,
      });
      if (!userName) {
        return;
      }
      const token = await vscode.window.showInputBox({
        title: vscode.l10n.t('Slurm JWT (the output of "scontrol token" on the login node, without SLURM_JWT=)'),
        password: true,
        validateInput: (v) => (v.trim().length > 0 ? undefined : vscode.l10n.t('The token is required.')),
        ignoreFocusOut: true,
      });
      if (!token) {
        return;
      }
      const next: SlurmRestSetting = { baseUrl: baseUrl.trim(), userName: userName.trim(), apiVersion: setting?.apiVersion ?? 'v0.0.38' };
      try {
        await sidecar.request(JobsMethods.configureSlurmRest, { ...next, token: token.trim().replace(/^SLURM_JWT=/, '') });
      } catch (error) {
        void vscode.window.showErrorMessage(vscode.l10n.t('slurmrestd was not set: {0}', errorMessage(error)));
        return;
      }
      await context.globalState.update(stateKey, next);
      await context.secrets.store(tokenKey, token.trim().replace(/^SLURM_JWT=/, ''));
      void vscode.window.showInformationMessage(vscode.l10n.t('Slurm jobs now go through slurmrestd at {0}.', next.baseUrl));
    }),
    vscode.commands.registerCommand('modelscope.setHostEnvironment', async (arg?: unknown) => {
      const backend =
        typeof arg === 'string'
          ? arg
          : await vscode.window.showInputBox({
              title: vscode.l10n.t('Which host? (ssh://user@host[:port] or slurm://user@login-node)'),
              validateInput: (v) => (/^(ssh|slurm):\/\/[^@\s/]+@[^\s/:]+(:\d{1,5})?\/?$/.test(v.trim()) ? undefined : vscode.l10n.t('Backend must look like ssh://user@host[:port] or slurm://user@host[:port].')),
              ignoreFocusOut: true,
            });
      if (!backend) {
        return;
      }
      const kinds = [
        { label: vscode.l10n.t('Conda environment'), envKind: 'conda', prompt: vscode.l10n.t('Conda environment name or prefix') },
        { label: vscode.l10n.t('Python venv'), envKind: 'venv', prompt: vscode.l10n.t('venv folder on the host, e.g. ~/venvs/swift') },
        { label: vscode.l10n.t('Setup command'), envKind: 'command', prompt: vscode.l10n.t('Shell commands run before swift, e.g. module load cuda/12.1 && source ~/env.sh') },
        { label: vscode.l10n.t('Login shell only'), envKind: 'none', prompt: '' },
      ];
      const picked = await vscode.window.showQuickPick(kinds, { title: vscode.l10n.t('How is ms-swift made available on {0}?', backend) });
      if (!picked) {
        return;
      }
      const value = picked.envKind === 'none' ? undefined : await vscode.window.showInputBox({ title: picked.prompt, ignoreFocusOut: true });
      if (picked.envKind !== 'none' && !value) {
        return;
      }
      try {
        await sidecar.request(JobsMethods.setHostEnvironment, { backend: backend.trim(), kind: picked.envKind, value });
        void vscode.window.showInformationMessage(vscode.l10n.t('Saved for {0}; the next preview and submit use it.', backend.trim()));
      } catch (error) {
        void vscode.window.showErrorMessage(vscode.l10n.t('The host environment was not saved: {0}', errorMessage(error)));
      }
    }),
  );
}
