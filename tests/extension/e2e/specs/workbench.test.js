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

    await wb.contextMenu(model, 'Open Model Card');
    await page.locator('.tab', { hasText: MODEL }).first().waitFor({ state: 'visible', timeout: 60000 });
    const card = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await card.locator('body', { hasText: /tiny/i }).waitFor({ timeout: 60000 });
    await wb.screenshot('c-model-card');

    await wb.contextMenu(model, 'Download');
    await wb.notification(`Downloading ${MODEL}`, 30000);
    await wb.screenshot('c-download-progress');
    await wb.notification(`Downloaded ${MODEL}`, 180000);
    await wb.screenshot('c-downloaded');
  });

  it('(e) runs the downloaded model locally: the playground shows the device and streams text', async () => {
    const page = wb.page;
    await wb.openModelScopeView();
    const model = page.locator('.pane', { hasText: /Models/ }).first().locator('.monaco-list-row', { hasText: MODEL }).first();
    await wb.contextMenu(model, 'Run Locally');
    await page.locator('.tab', { hasText: 'Playground' }).first().waitFor({ state: 'visible', timeout: 60000 });
    const panel = page.frameLocator('iframe.webview').last().frameLocator('iframe#active-frame');
    const device = panel.locator('#device');
    await device.filter({ hasText: /cpu|gpu|npu/i }).waitFor({ timeout: 120000 });
    await panel.locator('#prompt').fill('def add(a, b):');
    await panel.locator('#send').click();
    await panel.locator('#stats').filter({ hasText: /tokens\/s/ }).waitFor({ timeout: 120000 });
    await wb.screenshot('e-playground');
    const reply = await panel.locator('#chat').innerText();
    assert.ok(reply.replace('def add(a, b):', '').trim().length > 0, `no generated text in: ${reply}`);
    assert.match(await device.innerText(), /cpu|gpu|npu/i);
  });

  it('(d) fine-tunes remotely over SSH: the job panel shows progress and the loss chart, then cancels', { skip: !process.env.MODELIDE_SSH_PORT && 'no sshd (scripts/setup/20-ssh.sh)' }, async () => {
    const page = wb.page;
    const env = process.env;
    await wb.openModelScopeView();
    const model = page.locator('.pane', { hasText: /Models/ }).first().locator('.monaco-list-row', { hasText: MODEL }).first();
    await wb.contextMenu(model, 'Fine-tune Remotely...');
    await page.locator('.tab', { hasText: 'Fine-tune Remotely' }).first().waitFor({ state: 'visible', timeout: 60000 });
    const form = page.frameLocator('iframe.webview').last().frameLocator('iframe#active-frame');
    await form.locator('#f-backend').fill(`ssh://${env.MODELIDE_SSH_USER}@${env.MODELIDE_SSH_HOST}:${env.MODELIDE_SSH_PORT}`);
    await form.locator('#f-identityFile').fill(env.MODELIDE_SSH_KEY);
    await form.locator('#f-dataset').fill(env.MODELIDE_SSH_DATASET || 'train.jsonl');
    await form.locator('#f-maxSteps').fill('200');
    await form.locator('#preview').click();
    await form.locator('#command', { hasText: 'swift sft' }).waitFor({ timeout: 60000 });
    await wb.screenshot('d-form');
    await form.locator('#submit').click();
    // First connection: VS Code asks to trust the host key (modal dialog).
    const trust = page.getByRole('button', { name: 'Trust Host' });
    await trust.click({ timeout: 30000 }).catch(() => undefined);
    await page.locator('.tab', { hasText: /^Job / }).first().waitFor({ state: 'visible', timeout: 120000 });
    const job = page.frameLocator('iframe.webview').last().frameLocator('iframe#active-frame');
    await job.locator('#progress-text').filter({ hasText: /\d/ }).waitFor({ timeout: 180000 });
    await job.locator('#chart path, #chart polyline').first().waitFor({ timeout: 180000 });
    await wb.screenshot('d-job-running');
    await job.locator('#cancel').click();
    await job.locator('#job-state').filter({ hasText: /cancel/i }).waitFor({ timeout: 120000 });
    await wb.screenshot('d-job-cancelled');
  });
});
