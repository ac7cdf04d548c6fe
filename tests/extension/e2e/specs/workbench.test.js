// The main journey in real VS Code (code-server): sign in with an access token, browse and download a model,
// fine-tune it remotely, run it locally. Tests run in order and share one workbench (state builds up).
'use strict';
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Workbench, DEMO_TOKEN } = require('../lib/workbench');

const MODEL = 'modelide/tiny-stdlib-coder';

describe('ModelIde in VS Code (code-server)', () => {
  const wb = new Workbench('workbench');
  before(async () => { await wb.start(); await wb.screenshot('00-started'); });
  after(async () => { await wb.stop(); });
  afterEach(async t => { if (t.passed === false || t.error) await wb.screenshot(`failed-${t.name.slice(0, 40).replace(/\W+/g, '_')}`); });

  it('(a) signs in with an access token and shows demo in the Accounts menu', async () => {
    await wb.runCommand('Sign in to ModelScope');
    await wb.pick('Paste an access token');
    await wb.answer(DEMO_TOKEN);
    await wb.notification('Signed in to ModelScope as');
    await wb.screenshot('a-signed-in');
    const menu = await wb.accountsMenuText();
    await wb.screenshot('a-accounts-menu');
    await wb.page.keyboard.press('Escape');
    assert.match(menu, /demo/);
  });

  it('(c) searches the sidebar, expands a model, opens its card and downloads it with progress', async () => {
    const page = wb.page;
    await wb.openModelScopeView();
    await wb.runCommand('Search Models...');
    await wb.answer('tiny');
    await wb.pick('Best match');
    await wb.pick('Any');
    await wb.pick('Any');
    const tree = page.locator('.pane', { hasText: /Models/ }).first();
    const model = tree.locator('.monaco-list-row', { hasText: MODEL }).first();
    await model.waitFor({ state: 'visible', timeout: 60000 });
    await model.click();
    await page.keyboard.press('ArrowRight');  // expand: lists the repository's files
    await tree.locator('.monaco-list-row', { hasText: 'model.onnx' }).first().waitFor({ state: 'visible', timeout: 60000 });
    await wb.screenshot('c-search-expanded');

    await model.click({ button: 'right' });
    await page.locator('.context-view .action-label', { hasText: 'Open Model Card' }).first().click();
    await page.locator('.tab', { hasText: MODEL }).first().waitFor({ state: 'visible', timeout: 60000 });
    const card = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await card.locator('body', { hasText: /tiny/i }).waitFor({ timeout: 60000 });
    await wb.screenshot('c-model-card');

    await model.click({ button: 'right' });
    await page.locator('.context-view .action-label', { hasText: /^Download$/ }).first().click();
    await wb.notification(`Downloading ${MODEL}`, 30000);
    await wb.screenshot('c-download-progress');
    await wb.notification(`Downloaded ${MODEL}`, 180000);
    await wb.screenshot('c-downloaded');
  });
});
