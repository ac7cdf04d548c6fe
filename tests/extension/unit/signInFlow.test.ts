import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { accountLabel, planSignIn, refreshDelayMs, SignInArgs, SignInContext, SignInPlan } from '../../../extension/src/auth/signInFlow';

const publicHub: SignInContext = { endpoint: 'https://modelscope.cn', localCredentials: undefined, oauthClientId: 'modelide' };
const localHub: SignInContext = { endpoint: 'http://127.0.0.1:8765', localCredentials: undefined, oauthClientId: 'modelide' };
const withEnv = (c: SignInContext): SignInContext => ({ ...c, localCredentials: { source: 'env', userName: 'demo' } });
const noClient = (c: SignInContext): SignInContext => ({ ...c, oauthClientId: '' });

describe('planSignIn', () => {
  const table: [string, SignInArgs | undefined, SignInContext, SignInPlan][] = [
    ['public hub: token first, browser last', undefined, publicHub, { kind: 'ask', choices: ['token', 'browser'] }],
    ['local hub: browser first', undefined, localHub, { kind: 'ask', choices: ['browser', 'token'] }],
    ['found credentials are offered before pasting', undefined, withEnv(publicHub), { kind: 'ask', choices: ['local', 'token', 'browser'] }],
    ['local hub with credentials', undefined, withEnv(localHub), { kind: 'ask', choices: ['browser', 'local', 'token'] }],
    ['no OAuth client: no browser choice', undefined, noClient(publicHub), { kind: 'ask', choices: ['token'] }],
    ['a given token is validated without asking', { accessToken: 'ms-x' }, localHub, { kind: 'run', method: 'token', accessToken: 'ms-x' }],
    ['method token without a token asks for one', { method: 'token' }, publicHub, { kind: 'run', method: 'token' }],
    ['method local with credentials', { method: 'local' }, withEnv(publicHub), { kind: 'run', method: 'local' }],
    ['method local without credentials', { method: 'local' }, publicHub, { kind: 'error', reason: 'noLocalCredentials' }],
    ['method browser', { method: 'browser' }, publicHub, { kind: 'run', method: 'browser' }],
    ['method browser without a client id', { method: 'browser' }, noClient(localHub), { kind: 'error', reason: 'noOAuthClient' }],
  ];
  for (const [name, args, context, expected] of table) {
    it(name, () => assert.deepEqual(planSignIn(args, context), expected));
  }
});

describe('refreshDelayMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('refreshes a minute before expiry', () => assert.equal(refreshDelayMs('2026-01-01T00:10:00Z', now), 9 * 60_000));
  it('refreshes at once when already (nearly) expired', () => assert.equal(refreshDelayMs('2026-01-01T00:00:30Z', now), 0));
  it('never refreshes a session without expiry', () => assert.equal(refreshDelayMs(undefined, now), undefined));
  it('ignores an unreadable date', () => assert.equal(refreshDelayMs('soon', now), undefined));
});

describe('accountLabel', () => {
  it('shows user @ host:port', () => assert.equal(accountLabel('demo', 'http://127.0.0.1:8765/'), 'demo @ 127.0.0.1:8765'));
  it('drops the scheme of public hubs', () => assert.equal(accountLabel('alice', 'https://modelscope.cn'), 'alice @ modelscope.cn'));
});
