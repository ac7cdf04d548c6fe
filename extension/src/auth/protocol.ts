// auth/ methods of the sidecar (docs/protocol.md).

export const AuthMethods = {
  validateToken: 'auth/validateToken',
  signInWithBrowser: 'auth/signInWithBrowser',
  openBrowser: 'auth/openBrowser',
  refresh: 'auth/refresh',
  activate: 'auth/activate',
  signOut: 'auth/signOut',
  discoverLocalCredentials: 'auth/discoverLocalCredentials',
  sessionExpired: 'auth/sessionExpired',
} as const;

export interface AuthSession {
  id: string;
  endpoint: string;
  userName: string;
  email?: string;
  accessToken: string;
  refreshToken?: string;
  gitToken?: string;
  expiresAt?: string;
  kind: 'accessToken' | 'oauth';
  scopes: string[];
  /** OAuth: the client the tokens belong to. */
  clientId?: string;
}

export interface LocalCredentials {
  source: 'env' | 'sdk' | null;
  accessToken?: string;
  userName?: string;
}

export interface OpenBrowserParams {
  url: string;
}

export interface SessionExpiredParams {
  endpoint: string;
  userName?: string;
  /** What the hub answered, already redacted. */
  reason: string;
}
