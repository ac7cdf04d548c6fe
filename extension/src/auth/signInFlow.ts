// Which sign-in flows to offer, in what order, or which one to run directly. Pure: table-tested.
import type { LocalCredentialSource } from '../sidecar/protocol.generated';
import { endpointLabel, sameHub } from './plainHttp';

export type SignInMethod = 'token' | 'local' | 'browser';

export interface SignInArgs {
  /** Skip the choice: run this flow (e2e tests, walkthrough buttons). */
  method?: SignInMethod;
  /** With method 'token' (or alone): validate this token without asking. */
  accessToken?: string;
}

export interface SignInContext {
  endpoint: string;
  localCredentials: { source?: LocalCredentialSource; userName?: string } | undefined;
  oauthClientId: string;
}

export type SignInPlan =
  | { kind: 'run'; method: SignInMethod; accessToken?: string }
  | { kind: 'ask'; choices: SignInMethod[] }
  | { kind: 'error'; reason: 'noLocalCredentials' | 'noOAuthClient' };

export function isLoopbackEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}

export function planSignIn(args: SignInArgs | undefined, context: SignInContext): SignInPlan {
  const hasLocal = !!context.localCredentials?.source;
  const canBrowse = context.oauthClientId.trim().length > 0;
  if (args?.accessToken && (!args.method || args.method === 'token')) {
    return { kind: 'run', method: 'token', accessToken: args.accessToken };
  }
  if (args?.method === 'local') {
    return hasLocal ? { kind: 'run', method: 'local' } : { kind: 'error', reason: 'noLocalCredentials' };
  }
  if (args?.method === 'browser') {
    return canBrowse ? { kind: 'run', method: 'browser' } : { kind: 'error', reason: 'noOAuthClient' };
  }
  if (args?.method === 'token') {
    return { kind: 'run', method: 'token' };
  }
  // The local hub speaks OIDC, so the browser comes first there; the public hubs hand out SDK tokens.
  const choices: SignInMethod[] = [];
  if (hasLocal) {
    choices.push('local');
  }
  if (canBrowse && isLoopbackEndpoint(context.endpoint)) {
    choices.unshift('browser');
  }
  choices.push('token');
  if (canBrowse && !isLoopbackEndpoint(context.endpoint)) {
    choices.push('browser');
  }
  return { kind: 'ask', choices };
}

/** Milliseconds until a session should be refreshed (a minute before expiry), or undefined when it never expires. */
export function refreshDelayMs(expiresAt: string | undefined, now: number, marginMs = 60_000): number | undefined {
  if (!expiresAt) {
    return undefined;
  }
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) {
    return undefined;
  }
  return Math.max(0, at - marginMs - now);
}

/** "ModelScope: demo @ 127.0.0.1:8765" */
export function accountLabel(userName: string, endpoint: string): string {
  let host = endpoint;
  try {
    host = new URL(endpoint).host;
  } catch {
    /* keep the raw value */
  }
  return `${userName} @ ${host}`;
}

export function normalizeEndpoint(endpoint: string): string {
  return endpoint.trim().replace(/\/+$/, '');
}

export interface SignInChoiceFacts {
  method: SignInMethod;
  /** Where the token goes, shown beside every choice (a token found on this machine too). */
  description: string;
  /** For a token found on this machine: the hub it was made for, when that is not the endpoint. */
  madeFor?: string;
}

/** What the quick pick shows for each choice; `tokenMadeFor` is the hub of a token found on this machine. */
export function signInChoiceFacts(choices: readonly SignInMethod[], endpoint: string, tokenMadeFor: string): SignInChoiceFacts[] {
  return choices.map((method) => ({
    method,
    description: `→ ${endpointLabel(endpoint)}`,
    ...(method === 'local' && !sameHub(tokenMadeFor, endpoint) ? { madeFor: endpointLabel(tokenMadeFor) } : {}),
  }));
}
