// What happens when the sidecar reports that the hub refused the active session (auth/sessionExpired, or a failed
// scheduled refresh): renew it with the refresh token when there is one, else (or when that fails) ask the user to
// sign in again. Once per session however many notifications arrive. No `vscode` import: unit-tested with fakes.
import { AuthSession, SessionExpiredParams } from '../sidecar/protocol.generated';
import { normalizeEndpoint } from './signInFlow';

export type ExpiryOutcome = 'ignored' | 'refreshed' | 'signedInAgain' | 'dismissed';

export interface ExpiryActions {
  /** The session the extension uses now. */
  active(): AuthSession | undefined;
  /** Exchanges the refresh token, stores and activates the new session; rejects when the hub refuses. */
  refresh(session: AuthSession): Promise<void>;
  /** Tells the user the session ended; resolves true when they chose "Sign in again". */
  askToSignInAgain(session: AuthSession): Promise<boolean>;
  /** Runs the sign-in flow. */
  signIn(): Promise<unknown>;
  log(message: string): void;
}

export class SessionExpiryHandler {
  /** The session last handled (id and token), so repeated reports about it do nothing. */
  private lastHandled: string | undefined;

  constructor(private readonly actions: ExpiryActions) {}

  async onExpired(p: SessionExpiredParams, options: { refreshFailed?: boolean } = {}): Promise<ExpiryOutcome> {
    const session = this.actions.active();
    if (!session || normalizeEndpoint(session.endpoint) !== normalizeEndpoint(p.endpoint) || (p.userName && p.userName !== session.userName)) {
      // About a session that is no longer the active one (switched account, signed out, other endpoint).
      return 'ignored';
    }
    const key = `${session.id}\n${session.accessToken}`;
    if (key === this.lastHandled) {
      return 'ignored';
    }
    this.lastHandled = key;
    this.actions.log(`The ModelScope session of ${session.userName} ended: ${p.reason}`);
    if (session.refreshToken && !options.refreshFailed) {
      try {
        await this.actions.refresh(session);
        return 'refreshed';
      } catch (error) {
        this.actions.log(`Refreshing the session failed: ${(error as Error)?.message ?? String(error)}`);
      }
    }
    if (await this.actions.askToSignInAgain(session)) {
      await this.actions.signIn();
      return 'signedInAgain';
    }
    return 'dismissed';
  }
}
