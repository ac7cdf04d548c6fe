// Browser sign-in: the extension opens the hub's OAuth page in a new tab; signing in there as demo signs VS Code in.
// Then the OAuth tokens of that sign-in are looked for at rest (the same sweep as the main journey's (g2)).
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Workbench, DEMO_PASSWORD, ARTIFACTS } = require('../lib/workbench');
const { CommandLineSampler, isSecretStorage, sweepWorkbench } = require('../lib/secrets');

describe('Browser (OAuth) sign-in', () => {
  const wb = new Workbench('oauth');
  let sampler;
  // offline_access: the hub issues a refresh token too, so the sweep covers one.
  before(async () => {
    await wb.start({ settings: { 'modelscope.oauth.scopes': ['openid', 'profile', 'offline_access'] } });
    sampler = new CommandLineSampler('local');
  });
  after(async () => { sampler?.stop(); await wb.screenshot('b-end'); await wb.stop(); });

  it('(b) signs in through the hub login page opened in a new tab', async () => {
    await wb.runCommand('Sign in to ModelScope');
    const opened = wb.context.waitForEvent('page', { timeout: 60000 });
    await wb.pick('Sign in with the browser');
    // VS Code asks before opening an external site; accept when it does.
    const open = wb.page.getByRole('button', { name: 'Open', exact: true });
    await open.click({ timeout: 10000 }).catch(() => undefined);
    const login = await opened;
    await login.waitForLoadState();
    // code-server serves loopback URLs through /proxy/PORT/ (asExternalUri); the form must post back through it.
    console.log(`# login page: ${login.url()}`);
    await login.screenshot({ path: path.join(ARTIFACTS, 'oauth-b-login-page.png') });
    await login.fill('input[name="username"]', 'demo');
    await login.fill('input[name="password"]', DEMO_PASSWORD);
    await login.click('button[type="submit"]');
    await login.waitForLoadState().catch(() => undefined);
    await login.waitForTimeout(2000);
    await login.screenshot({ path: path.join(ARTIFACTS, 'oauth-b-after-submit.png') }).catch(() => undefined);
    await wb.page.bringToFront();
    await wb.notification('Signed in to ModelScope as', 60000);
    const menu = await wb.accountsMenuText();
    await wb.screenshot('b-accounts-menu');
    assert.match(menu, /demo/);
  });

  it('(g) keeps the OAuth access and refresh tokens out of every file and command line of the run', async () => {
    const secrets = await wb.secrets();
    assert.ok(secrets.some(s => s.name.startsWith('OAuth access')) && secrets.some(s => s.name.startsWith('OAuth refresh')), 'the sign-in got OAuth tokens');
    const sweep = await sweepWorkbench(wb, secrets, assert);
    sweep.commandLines('local', sampler.stop());
    console.log(`# ${sweep.summary()}; ${sampler.samples} ps samples`);
    assert.deepEqual(sweep.findings, [], 'secrets found (path and offset; the values are not printed)');
    assert.ok([...sweep.scanned.keys()].some(f => isSecretStorage(f)), 'the browser localStorage with code-server\'s SecretStorage was swept');
  });
});
