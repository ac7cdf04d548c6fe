// The `modelscope` AuthenticationProvider: sessions from SecretStorage, flows run by the sidecar.
import * as vscode from 'vscode';
import { addKnownSecret } from '../common/redact';
import { options } from '../options';
import { errorMessage, isCancellation } from '../sidecar/rpcErrors';
import { AuthMethods, AuthSession, DiscoverLocalCredentialsResult, LocalCredentialSource } from '../sidecar/protocol.generated';
import { SidecarHost, TypedSend } from '../sidecar/sidecarHost';
import { endpointLabel, sameHub, sdkEndpoint } from './plainHttp';
import { PlainHttpConsent } from './plainHttpConsent';
import { SessionExpiryHandler } from './sessionExpiry';
import { SessionStore } from './sessionStore';
import { accountLabel, normalizeEndpoint, planSignIn, refreshDelayMs, signInChoiceFacts, SignInArgs, SignInMethod } from './signInFlow';

export const providerId = 'modelscope';

function toVsCodeSession(s: AuthSession): vscode.AuthenticationSession {
  return {
    id: s.id,
    accessToken: s.accessToken,
    account: { id: `${normalizeEndpoint(s.endpoint)}|${s.userName}`, label: s.userName },
    scopes: s.scopes ?? [],
  };
}

export class ModelScopeAuthProvider implements vscode.AuthenticationProvider, vscode.Disposable {
  private readonly sessionsEmitter = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.sessionsEmitter.event;
  private readonly activeEmitter = new vscode.EventEmitter<AuthSession | undefined>();
  /** The active session for the current endpoint changed (sign in, out, switch, other window). */
  readonly onDidChangeActive = this.activeEmitter.event;
  private active: AuthSession | undefined;
  private known: AuthSession[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly expiry = new SessionExpiryHandler({
    active: () => this.active,
    refresh: (s) => this.renew(s),
    askToSignInAgain: async (s) => {
      const again = vscode.l10n.t('Sign in again');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('Your ModelScope session ({0}) has expired or was revoked. Your models, downloads and jobs are kept; sign in again to continue.', accountLabel(s.userName, s.endpoint)),
        again,
      );
      return choice === again;
    },
    signIn: () => this.signIn(),
    log: (m) => this.sidecar.log.warn(m),
  });
  /** Last URL the sidecar asked to open (end-to-end tests follow it in their own browser). */
  lastBrowserUrl: string | undefined;
  private readonly plainHttp: PlainHttpConsent;

  constructor(
    private readonly sidecar: SidecarHost,
    private readonly store: SessionStore,
  ) {
    this.plainHttp = new PlainHttpConsent(sidecar);
    this.disposables.push(
      this.plainHttp,
      store.onDidChange(() => void this.reload()),
      sidecar.onNotification(AuthMethods.openBrowser, (p) => void this.openBrowser(p.url)),
      sidecar.onNotification(AuthMethods.sessionExpired, (p) => void this.expiry.onExpired(p)),
    );
    sidecar.addStartHook((send) => this.activateOnSidecar(send));
  }

  get activeSession(): AuthSession | undefined {
    return this.active;
  }

  private reloading: Promise<void> = Promise.resolve();

  /** Loads the stored sessions and makes the current endpoint's active one the sidecar's session. Serialized. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(
      () => this.load(),
      () => this.load(),
    );
    return this.reloading;
  }

  private async load(): Promise<void> {
    const endpoint = options.endpoint();
    const all = await this.store.all();
    const activeId = await this.store.activeId(endpoint);
    const forEndpoint = all.filter((s) => normalizeEndpoint(s.endpoint) === endpoint);
    const next = forEndpoint.find((s) => s.id === activeId) ?? forEndpoint[0];
    for (const s of all) {
      addKnownSecret(s.accessToken);
      addKnownSecret(s.refreshToken);
      addKnownSecret(s.gitToken);
    }

    const before = new Map(this.known.map((s) => [s.id, s]));
    const after = new Map(forEndpoint.map((s) => [s.id, s]));
    const added = forEndpoint.filter((s) => !before.has(s.id)).map(toVsCodeSession);
    const removed = this.known.filter((s) => !after.has(s.id)).map(toVsCodeSession);
    const changed = forEndpoint.filter((s) => before.has(s.id) && before.get(s.id)!.accessToken !== s.accessToken).map(toVsCodeSession);
    this.known = forEndpoint;
    if (added.length || removed.length || changed.length) {
      this.sessionsEmitter.fire({ added, removed, changed });
    }

    const activeChanged = next?.id !== this.active?.id || next?.accessToken !== this.active?.accessToken;
    this.active = next;
    if (next) {
      // A session stored for a plain-http hub before hosts had to be allowed: the sidecar refuses to use it until then.
      void this.plainHttp.ensureAllowed(endpoint, { modal: false });
    }
    void vscode.commands.executeCommand('setContext', 'modelscope.signedIn', !!next);
    this.scheduleRefresh();
    if (activeChanged) {
      this.activeEmitter.fire(next);
      if (this.sidecar.client.currentState === 'running') {
        await this.activateOnSidecar((type, params) => this.sidecar.request(type, params)).catch((e) =>
          this.sidecar.log.warn(`auth/activate failed: ${errorMessage(e)}`),
        );
      }
    }
  }

  // --- vscode.AuthenticationProvider ---

  async getSessions(scopes?: readonly string[]): Promise<vscode.AuthenticationSession[]> {
    const ordered = this.active ? [this.active, ...this.known.filter((s) => s.id !== this.active!.id)] : this.known;
    return ordered
      .filter((s) => !scopes || scopes.length === 0 || scopes.every((sc) => (s.scopes ?? []).includes(sc) || s.kind === 'accessToken'))
      .map(toVsCodeSession);
  }

  async createSession(_scopes: readonly string[]): Promise<vscode.AuthenticationSession> {
    const session = await this.signIn();
    if (!session) {
      throw new Error(vscode.l10n.t('Sign-in to ModelScope was cancelled.'));
    }
    return toVsCodeSession(session);
  }

  async removeSession(sessionId: string): Promise<void> {
    await this.signOut(sessionId);
  }

  // --- flows ---

  /** Runs the sign-in command: picks a flow (or uses args), validates, stores, activates. */
  async signIn(args?: SignInArgs): Promise<AuthSession | undefined> {
    const endpoint = options.endpoint();
    if (!(await this.plainHttp.ensureAllowed(endpoint, { modal: true }))) {
      return undefined;
    }
    const clientId = options.oauthClientId();
    let local: DiscoverLocalCredentialsResult | undefined;
    if (!args?.accessToken) {
      local = await this.sidecar.request(AuthMethods.discoverLocalCredentials, {}).catch((e) => {
        this.sidecar.log.debug(`auth/discoverLocalCredentials failed: ${errorMessage(e)}`);
        return undefined;
      });
    }
    const plan = planSignIn(args, { endpoint, localCredentials: local, oauthClientId: clientId });
    let method: SignInMethod;
    let token: string | undefined;
    if (plan.kind === 'error') {
      void vscode.window.showErrorMessage(
        plan.reason === 'noLocalCredentials'
          ? vscode.l10n.t('No ModelScope token was found in MODELSCOPE_API_TOKEN or the SDK credentials folder.')
          : vscode.l10n.t('Browser sign-in needs "modelscope.oauth.clientId" to be set.'),
      );
      return undefined;
    } else if (plan.kind === 'run') {
      method = plan.method;
      token = plan.accessToken;
    } else {
      const picked = await this.pickMethod(plan.choices, endpoint, local);
      if (!picked) {
        return undefined;
      }
      method = picked;
    }

    try {
      let session: AuthSession | undefined;
      if (method === 'browser') {
        session = await this.signInWithBrowser(endpoint, clientId, options.oauthScopes());
      } else {
        if (method === 'local') {
          token = local?.accessToken;
          if (token && !(await this.confirmLocalTokenFor(endpoint, local?.source))) {
            return undefined;
          }
        }
        if (!token) {
          token = await vscode.window.showInputBox({
            title: vscode.l10n.t('Sign in to ModelScope'),
            prompt: vscode.l10n.t('Paste an access token from {0}', `${endpoint}/my/myaccesstoken`),
            placeHolder: vscode.l10n.t('Access token'),
            password: true,
            ignoreFocusOut: true,
            validateInput: (v) => (v.trim().length === 0 ? vscode.l10n.t('The token cannot be empty.') : undefined),
          });
          if (!token) {
            return undefined;
          }
        }
        session = await this.validate(endpoint, token.trim());
      }
      if (!session) {
        return undefined;
      }
      await this.store.save({ ...session, endpoint: normalizeEndpoint(session.endpoint || endpoint) });
      await this.reload();
      void vscode.window.showInformationMessage(vscode.l10n.t('Signed in to ModelScope as {0}.', accountLabel(session.userName, endpoint)));
      return session;
    } catch (error) {
      if (!isCancellation(error)) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Sign-in to ModelScope failed: {0}', errorMessage(error)));
      }
      return undefined;
    }
  }

  async signOut(sessionId?: string): Promise<void> {
    const target = sessionId ? (await this.store.all()).find((s) => s.id === sessionId) : this.active;
    if (!target) {
      return;
    }
    try {
      await this.sidecar.request(AuthMethods.signOut, {
        endpoint: target.endpoint,
        accessToken: target.accessToken,
        refreshToken: target.refreshToken,
        clientId: options.oauthClientId(),
      });
    } catch (error) {
      this.sidecar.log.warn(`auth/signOut failed: ${errorMessage(error)}`);
    }
    await this.store.remove(target.id);
    await this.reload();
  }

  async switchTo(sessionId: string): Promise<void> {
    await this.store.setActive(options.endpoint(), sessionId);
    await this.reload();
  }

  sessionsForEndpoint(): AuthSession[] {
    return [...this.known];
  }

  dispose(): void {
    if (this.refreshTimer) {
      clearTimeout(this.refreshTimer);
    }
    this.disposables.forEach((d) => d.dispose());
    this.sessionsEmitter.dispose();
    this.activeEmitter.dispose();
  }

  private async pickMethod(choices: SignInMethod[], endpoint: string, local: DiscoverLocalCredentialsResult | undefined): Promise<SignInMethod | undefined> {
    // Every choice says where the token goes; a token found on this machine also says whose hub made it.
    const items = signInChoiceFacts(choices, endpoint, sdkEndpoint(process.env)).map(({ method, description, madeFor }) => {
      switch (method) {
        case 'local':
          return {
            method,
            label: `$(key) ${local?.source === 'env' ? vscode.l10n.t('Use the token from MODELSCOPE_API_TOKEN') : vscode.l10n.t('Use the token from the ModelScope SDK credentials')}`,
            description,
            detail: madeFor
              ? vscode.l10n.t('{0}: the token was made for {1}', local?.userName ?? '?', madeFor)
              : local?.userName,
          };
        case 'browser':
          return { method, label: `$(globe) ${vscode.l10n.t('Sign in with the browser')}`, description };
        default:
          return { method, label: `$(lock) ${vscode.l10n.t('Paste an access token')}`, description };
      }
    });
    const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Sign in to ModelScope'), ignoreFocusOut: true });
    return picked?.method;
  }

  /**
   * A token from MODELSCOPE_API_TOKEN or the SDK's credentials belongs to the SDK's hub (MODELSCOPE_ENDPOINT/DOMAIN,
   * else modelscope.cn). Before it goes to another hub, the user confirms, seeing both.
   */
  private async confirmLocalTokenFor(endpoint: string, source: LocalCredentialSource | undefined): Promise<boolean> {
    const madeFor = sdkEndpoint(process.env);
    if (sameHub(madeFor, endpoint)) {
      return true;
    }
    const send = vscode.l10n.t('Send it to {0}', endpointLabel(endpoint));
    const message =
      source === 'env'
        ? vscode.l10n.t('The token in MODELSCOPE_API_TOKEN was made for {0}, but the hub set in "modelscope.endpoint" is {1}. Send this token to {1}?', endpointLabel(madeFor), endpointLabel(endpoint))
        : vscode.l10n.t('The token in the ModelScope SDK credentials was made for {0}, but the hub set in "modelscope.endpoint" is {1}. Send this token to {1}?', endpointLabel(madeFor), endpointLabel(endpoint));
    return (await vscode.window.showWarningMessage(message, { modal: true }, send)) === send;
  }

  private async validate(endpoint: string, accessToken: string): Promise<AuthSession> {
    addKnownSecret(accessToken);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Checking the token with {0}...', endpoint), cancellable: true },
      async (_p, token) => {
        try {
          return await this.sidecar.request(AuthMethods.validateToken, { endpoint, accessToken }, token);
        } catch (error) {
          if (isCancellation(error)) {
            throw error;
          }
          throw new Error(vscode.l10n.t('The token was not accepted by {0}: {1}', endpoint, errorMessage(error)));
        }
      },
    );
  }

  private signInWithBrowser(endpoint: string, clientId: string, scopes: string[]): Thenable<AuthSession> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Signing in to ModelScope in your browser...'), cancellable: true },
      (_p, token) =>
        this.sidecar.request(AuthMethods.signInWithBrowser, { endpoint, clientId, scopes, timeoutSeconds: 300 }, token),
    );
  }

  private async openBrowser(url: string): Promise<void> {
    let uri: vscode.Uri;
    try {
      uri = vscode.Uri.parse(url, true);
    } catch {
      return;
    }
    if (uri.scheme !== 'http' && uri.scheme !== 'https') {
      return; // only web pages are opened on the sidecar's behalf
    }
    this.lastBrowserUrl = url;
    const external = await vscode.env.asExternalUri(uri);
    const opened = await vscode.env.openExternal(external);
    if (!opened) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open this address to sign in: {0}', external.toString(true)));
    }
  }

  private async activateOnSidecar(send: TypedSend): Promise<void> {
    const s = this.active;
    if (!s) {
      return;
    }
    await send(AuthMethods.activate, s);
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = undefined;
    }
    const s = this.active;
    if (!s?.refreshToken) {
      return;
    }
    const delay = refreshDelayMs(s.expiresAt, Date.now());
    if (delay === undefined) {
      return;
    }
    this.refreshTimer = setTimeout(() => void this.refresh(s), Math.min(delay, 2_147_000_000));
  }

  /** Scheduled refresh before expiry; when the hub refuses it, the user is asked to sign in again. */
  private async refresh(s: AuthSession): Promise<void> {
    try {
      await this.renew(s);
    } catch (error) {
      await this.expiry.onExpired({ endpoint: s.endpoint, userName: s.userName, reason: `auth/refresh failed: ${errorMessage(error)}` }, { refreshFailed: true });
    }
  }

  /** Exchanges the refresh token and stores the result (reload() then activates it in the sidecar). */
  private async renew(s: AuthSession): Promise<void> {
    const clientId = s.clientId ?? options.oauthClientId();
    if (!s.refreshToken) {
      throw new Error('This session has no refresh token.');
    }
    const renewed = await this.sidecar.request(AuthMethods.refresh, { endpoint: s.endpoint, clientId, refreshToken: s.refreshToken });
    await this.store.save({ ...renewed, id: s.id, endpoint: s.endpoint }, this.active?.id === s.id);
    await this.reload();
  }
}
