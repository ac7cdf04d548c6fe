// Issue 19 case 10: an opened folder's .vscode/settings.json must not steer where the token goes. The folder names a
// "hub" of its own (a recorder on 127.0.0.1), an OAuth client and a plain-http host; the user's settings name the
// local hub. Signing in must show and use the user's hub only, and the folder's hub must never be contacted.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Workbench } = require('../lib/workbench');

describe('A workspace cannot redirect the token', () => {
  const wb = new Workbench('workspace');
  const requests = [];
  const recorder = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"success":false}');
  });

  before(async () => {
    await new Promise((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const folderHub = `http://127.0.0.1:${recorder.address().port}`;
    await wb.start({
      workspaceSettings: {
        'modelscope.endpoint': folderHub,
        'modelscope.oauth.clientId': 'folder-client',
        'modelscope.allowHttpHosts': ['hub.example.test'],
      },
    });
  });
  after(async () => { await wb.screenshot('w-end'); await wb.stop(); recorder.close(); });

  it('(w) ignores the folder\'s endpoint: the sign-in shows and uses the user\'s hub, and the folder\'s hub gets nothing', async () => {
    const userHub = wb.hubUrl.replace(/\/+$/, '');
    await wb.runCommand('Sign in to ModelScope');
    const list = wb.page.locator('.quick-input-widget .quick-input-list');
    await list.waitFor({ state: 'visible', timeout: 30000 });
    const choices = await list.innerText();
    await wb.screenshot('w-choices');
    // Every choice says where the token goes: the user's hub.
    assert.ok(choices.includes(`→ ${userHub}`), `choices name ${userHub}: ${choices}`);
    assert.ok(!choices.includes(`:${recorder.address().port}`), 'no choice names the folder\'s hub');
    await wb.pick('Paste an access token');
    await wb.answer(wb.demoToken);
    await wb.notification(`Signed in to ModelScope as demo @ ${new URL(userHub).host}`);
    assert.deepEqual(requests, [], 'the folder\'s hub was contacted');
  });
});
