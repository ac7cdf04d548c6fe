// Status bar item "ModelScope: demo @ 127.0.0.1:8765" and the account menu behind it.
import * as vscode from 'vscode';
import { options } from '../options';
import { ModelScopeAuthProvider } from './authProvider';
import { accountLabel } from './signInFlow';

export class AccountStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('modelscope.account', vscode.StatusBarAlignment.Left, 50);

  constructor(private readonly auth: ModelScopeAuthProvider) {
    this.item.name = vscode.l10n.t('ModelScope Account');
    this.item.command = 'modelscope.accountMenu';
    this.update();
    this.item.show();
  }

  update(): void {
    const s = this.auth.activeSession;
    if (s) {
      this.item.text = `$(account) ModelScope: ${accountLabel(s.userName, options.endpoint())}`;
      this.item.tooltip = vscode.l10n.t('Signed in to {0} as {1}. Click to switch account or sign out.', options.endpoint(), s.userName);
    } else {
      this.item.text = `$(account) ModelScope: ${vscode.l10n.t('Sign in')}`;
      this.item.tooltip = vscode.l10n.t('Not signed in to {0}. Click to sign in.', options.endpoint());
    }
  }

  async showMenu(): Promise<void> {
    const active = this.auth.activeSession;
    type Item = vscode.QuickPickItem & { run: () => Promise<unknown> };
    const items: Item[] = [];
    for (const s of this.auth.sessionsForEndpoint().filter((x) => x.id !== active?.id)) {
      items.push({ label: `$(arrow-swap) ${vscode.l10n.t('Switch to {0}', s.userName)}`, run: () => this.auth.switchTo(s.id) });
    }
    items.push({
      label: `$(sign-in) ${active ? vscode.l10n.t('Sign in with another account...') : vscode.l10n.t('Sign in...')}`,
      run: () => this.auth.signIn(),
    });
    if (active) {
      items.push({ label: `$(sign-out) ${vscode.l10n.t('Sign out {0}', active.userName)}`, run: () => this.auth.signOut(active.id) });
    }
    const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('ModelScope Account') });
    await picked?.run();
  }

  dispose(): void {
    this.item.dispose();
  }
}
