// auth/sessionExpired handling: refresh when a refresh token exists, else one "Sign in again" prompt per session.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { AuthSession } from '../../../extension/src/sidecar/protocol.generated';
import { ExpiryActions, SessionExpiryHandler } from '../../../extension/src/auth/sessionExpiry';

const endpoint = 'http://127.0.0.1:8765';
const tokenSession: AuthSession = { id: `${endpoint}#demo`, endpoint, userName: 'demo', accessToken: 'ms-token-1', kind: 'accessToken', scopes: [] };
const oauthSession: AuthSession = { ...tokenSession, accessToken: 'eyJ.a.1', refreshToken: 'refresh-1', kind: 'oauth', scopes: ['openid'] };
// The sidecar writes the endpoint as a URL with a trailing slash; the extension stores it without.
const expired = { endpoint: `${endpoint}/`, userName: 'demo', reason: 'The access token has expired; sign in again.' };

/** Fake actions: a mutable active session, scripted answers, and a record of what was done. */
function fakeActions(initial: AuthSession | undefined, options: { answer?: boolean; refreshFails?: boolean } = {}) {
  const done: string[] = [];
  let active = initial;
  const actions: ExpiryActions = {
    active: () => active,
    refresh: async (s) => {
      done.push(`refresh ${s.refreshToken}`);
      await new Promise((r) => setImmediate(r));
      if (options.refreshFails) {
        throw new Error('invalid_grant');
      }
      active = { ...s, accessToken: `${s.accessToken}-renewed` };
    },
    askToSignInAgain: async (s) => {
      done.push(`ask ${s.userName}`);
      return options.answer ?? false;
    },
    signIn: async () => {
      done.push('signIn');
      active = initial && { ...initial, accessToken: 'ms-token-2' };
    },
    log: () => undefined,
  };
  return { actions, done, setActive: (s: AuthSession | undefined) => (active = s) };
}

describe('SessionExpiryHandler', () => {
  it('asks once to sign in again for a token session, however many reports arrive at once', async () => {
    const { actions, done } = fakeActions(tokenSession, { answer: true });
    const handler = new SessionExpiryHandler(actions);
    const outcomes = await Promise.all([handler.onExpired(expired), handler.onExpired(expired), handler.onExpired(expired)]);
    assert.deepEqual(outcomes.sort(), ['ignored', 'ignored', 'signedInAgain']);
    assert.deepEqual(done, ['ask demo', 'signIn']);
  });

  it('does not ask again for the same session after the prompt was dismissed', async () => {
    const { actions, done } = fakeActions(tokenSession, { answer: false });
    const handler = new SessionExpiryHandler(actions);
    assert.equal(await handler.onExpired(expired), 'dismissed');
    assert.equal(await handler.onExpired(expired), 'ignored');
    assert.deepEqual(done, ['ask demo']);
  });

  it('asks again when the new session (signed in again) expires too', async () => {
    const { actions, done } = fakeActions(tokenSession, { answer: true });
    const handler = new SessionExpiryHandler(actions);
    assert.equal(await handler.onExpired(expired), 'signedInAgain');
    assert.equal(await handler.onExpired(expired), 'signedInAgain');
    assert.deepEqual(done, ['ask demo', 'signIn', 'ask demo', 'signIn']);
  });

  it('refreshes an OAuth session without asking anything', async () => {
    const { actions, done } = fakeActions(oauthSession);
    const handler = new SessionExpiryHandler(actions);
    const outcomes = await Promise.all([handler.onExpired(expired), handler.onExpired(expired)]);
    assert.deepEqual(outcomes.sort(), ['ignored', 'refreshed']);
    assert.deepEqual(done, ['refresh refresh-1']);
  });

  it('asks to sign in again when the refresh is refused', async () => {
    const { actions, done } = fakeActions(oauthSession, { refreshFails: true, answer: true });
    assert.equal(await new SessionExpiryHandler(actions).onExpired(expired), 'signedInAgain');
    assert.deepEqual(done, ['refresh refresh-1', 'ask demo', 'signIn']);
  });

  it('asks at once when the report is a refresh that already failed', async () => {
    const { actions, done } = fakeActions(oauthSession, { answer: false });
    assert.equal(await new SessionExpiryHandler(actions).onExpired(expired, { refreshFailed: true }), 'dismissed');
    assert.deepEqual(done, ['ask demo']);
  });

  it('ignores reports about a session that is not the active one', async () => {
    const { actions, done, setActive } = fakeActions(tokenSession, { answer: true });
    const handler = new SessionExpiryHandler(actions);
    assert.equal(await handler.onExpired({ ...expired, userName: 'alice' }), 'ignored');
    assert.equal(await handler.onExpired({ ...expired, endpoint: 'https://modelscope.cn/' }), 'ignored');
    setActive(undefined);
    assert.equal(await handler.onExpired(expired), 'ignored');
    assert.deepEqual(done, []);
  });
});
