// The main journey in real VS Code (code-server): sign in with an access token, browse and download a model,
// fine-tune it remotely, run it locally, clone it; then look for the run's secrets everywhere they must not be.
// Tests run in order and share one workbench (state builds up).
'use strict';
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Workbench } = require('../lib/workbench');
const { CommandLineSampler, isSecretStorage, listFiles, remoteFiles, sweepWorkbench } = require('../lib/secrets');

const MODEL = 'modelide/tiny-stdlib-coder';
const SSH = !!process.env.MODELIDE_SSH_PORT;

describe('ModelIde in VS Code (code-server)', () => {
  const wb = new Workbench('workbench');
  // Command lines are sampled for the whole journey: the sidecar and git here, the remote job of (d) on the SSH host.
  const samplers = [];
  let jobId;
  let clone;
  before(async () => {
    await wb.start();
    samplers.push(new CommandLineSampler('local'));
    if (SSH) samplers.push(new CommandLineSampler('SSH host', { remote: true }));
    await wb.screenshot('00-started');
  });
  after(async () => { samplers.forEach(s => s.stop()); await wb.stop(); });
  afterEach(async t => { if (t.passed === false || t.error) await wb.screenshot(`failed-${t.name.slice(0, 40).replace(/\W+/g, '_')}`); });

  it('(a) signs in with an access token and shows demo in the Accounts menu', async () => {
    await wb.runCommand('Sign in to ModelScope');
    await wb.pick('Paste an access token');
    await wb.answer(wb.demoToken);
    await wb.notification('Signed in to ModelScope as');
    await wb.screenshot('a-signed-in');
    const menu = await wb.accountsMenuText();
    await wb.screenshot('a-accounts-menu');
    await wb.page.keyboard.press('Escape');
    assert.match(menu, /demo/);
  });

  it('(c) searches the sidebar, expands a model, opens its card and downloads it with progress', async () => {
    const page = wb.page;
    const { tree, row: model } = await wb.searchModels('tiny', MODEL);
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
    // The tab names the model, not the cache's snapshots/master folder.
    await page.locator('.tab', { hasText: `Playground: ${MODEL}` }).first().waitFor({ state: 'visible', timeout: 60000 });
    const panel = await wb.webview('#device');
    const device = panel.locator('#device');
    await device.filter({ hasText: /cpu|gpu|npu/i }).waitFor({ timeout: 120000 }).catch(async e => {
      // What the user would see, and the extension's log: a bare timeout says nothing about why.
      const seen = `device: ${await device.innerText().catch(() => '?')}; error: ${await panel.locator('#error').innerText().catch(() => '?')}`;
      throw new Error(`${e.message}\n${seen}\nextension log:\n${wb.extensionLog()}`);
    });
    await panel.locator('#prompt').fill('def add(a, b):');
    await panel.locator('#send').click();
    await panel.locator('#stats').filter({ hasText: /tokens\/s/ }).waitFor({ timeout: 120000 });
    await wb.screenshot('e-playground');
    const reply = await panel.locator('#chat').innerText();
    assert.ok(reply.replace('def add(a, b):', '').trim().length > 0, `no generated text in: ${reply}`);
    assert.match(await device.innerText(), /cpu|gpu|npu/i);

    // Run Locally again on the open playground redraws its page: the new page asks for the header when its script is
    // ready, so the device line comes back without a reload of the model (the marker shows the page really changed).
    await device.evaluate(el => { el.textContent = 'old page'; });
    await wb.contextMenu(model, 'Run Locally');
    await device.filter({ hasText: /cpu|gpu|npu/i }).waitFor({ timeout: 30000 });
  });

  it('(d) fine-tunes remotely over SSH: picks GPUs, the job panel shows progress, the loss chart and the divergence, then cancels', { skip: !process.env.MODELIDE_SSH_PORT && 'no sshd (scripts/setup/20-ssh.sh)' }, async () => {
    const page = wb.page;
    const env = process.env;
    await wb.openModelScopeView();
    const model = page.locator('.pane', { hasText: /Models/ }).first().locator('.monaco-list-row', { hasText: MODEL }).first();
    await wb.contextMenu(model, 'Fine-tune Remotely...');
    await page.locator('.tab', { hasText: 'Fine-tune Remotely' }).first().waitFor({ state: 'visible', timeout: 60000 });
    const form = await wb.webview('#f-backend');
    await form.locator('#f-backend').fill(`ssh://${env.MODELIDE_SSH_USER}@${env.MODELIDE_SSH_HOST}:${env.MODELIDE_SSH_PORT}`);
    await form.locator('#f-identityFile').fill(env.MODELIDE_SSH_KEY);
    await form.locator('#f-dataset').fill(env.MODELIDE_SSH_DATASET || 'train.jsonl');
    await form.locator('#f-maxSteps').fill('200');
    // The stand-in swift diverges with too high a learning rate (Infinity at step 3, NaN after), as real runs do.
    await form.locator('#f-learningRate').fill('0.5');
    await form.locator('#f-extraArgs').fill("--logging_steps 1 --system 'You are a careful assistant.'");
    // GPUs: the host's nvidia-smi list (recorded 8 x V100, GPU 6 busy) in a quick pick; the first connection asks to trust the host.
    await form.locator('#pick-gpus').click();
    await page.getByRole('button', { name: 'Trust Host' }).click({ timeout: 30000 }).catch(() => undefined);
    const quickPick = page.locator('.quick-input-widget');
    await quickPick.locator('.monaco-list-row', { hasText: 'GPU 6:' }).filter({ hasText: 'In use by another job' }).waitFor({ timeout: 60000 });
    await wb.screenshot('d-gpus');
    // Tick each box until the quick pick counts it (a click can land while a row's hover appears), then press OK.
    const selected = quickPick.locator('.quick-input-count');
    for (const [n, gpu] of [[1, 'GPU 0:'], [2, 'GPU 3:']]) {
      const box = quickPick.locator('.monaco-list-row', { hasText: gpu }).locator('.monaco-checkbox, input[type=checkbox]').first();
      for (let i = 0; i < 5 && !(await selected.innerText()).includes(`${n} `); i++) {
        await box.click();
        await page.waitForTimeout(300);
      }
    }
    assert.match(await selected.innerText(), /2 Selected/);
    await quickPick.getByRole('button', { name: 'OK' }).click();
    for (let i = 0; i < 50 && (await form.locator('#f-gpuIndices').inputValue()) !== '0,3'; i++) {
      await page.waitForTimeout(200);
    }
    assert.equal(await form.locator('#f-gpuIndices').inputValue(), '0,3');
    await form.locator('#preview').click();
    const command = form.locator('#command', { hasText: 'swift sft' });
    await command.waitFor({ timeout: 60000 });
    const preview = await command.innerText();
    assert.match(preview, /CUDA_VISIBLE_DEVICES=0,3/);
    assert.match(preview, /NPROC_PER_NODE=2/);
    assert.match(preview, /"You are a careful assistant\."/);
    await wb.screenshot('d-form');
    await form.locator('#submit').click();
    const jobTab = page.locator('.tab', { hasText: /^Job / }).first();
    await jobTab.waitFor({ state: 'visible', timeout: 120000 });
    jobId = /Job (\S+)/.exec(await jobTab.innerText())?.[1];
    const job = await wb.webview('#progress-text', 120000);
    await job.locator('#progress-text').filter({ hasText: /\d/ }).waitFor({ timeout: 180000 });
    await job.locator('#chart path, #chart polyline').first().waitFor({ timeout: 180000 });
    await job.locator('#job-backend', { hasText: 'GPUs 0,3' }).waitFor({ timeout: 60000 });
    // The diverged run is told in words, and the chart marks the step.
    await job.locator('#job-divergence', { hasText: 'Training diverged at step 3' }).waitFor({ timeout: 180000 });
    // A vertical SVG line has a zero-width box, which Playwright calls hidden: check it is drawn inside the chart instead.
    const marker = job.locator('#divergence-marker');
    await marker.waitFor({ state: 'attached', timeout: 60000 });
    const x = Number(await marker.getAttribute('x1'));
    assert.ok(x > 0 && x === Number(await marker.getAttribute('x2')), `divergence marker at x=${x}`);
    await page.locator('.notifications-toasts', { hasText: 'diverged at step 3' }).first().waitFor({ timeout: 60000 });
    await wb.screenshot('d-job-diverged');
    await job.locator('#cancel').click();
    await job.locator('#job-state').filter({ hasText: /cancel/i }).waitFor({ timeout: 120000 });
    await wb.screenshot('d-job-cancelled');
  });

  it('(g1) clones the repository into a folder chosen in the folder picker', async () => {
    const page = wb.page;
    const parent = path.join(wb.dir, 'clones');
    fs.mkdirSync(parent);
    await wb.openModelScopeView();
    const model = page.locator('.pane', { hasText: /Models/ }).first().locator('.monaco-list-row', { hasText: MODEL }).first();
    await wb.contextMenu(model, 'Clone Repository...');
    // code-server has no native dialog: VS Code's own folder picker is a quick input with a path.
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15000 });
    // It opens on the workspace folder; typing before it has settled there mixes both paths.
    await page.waitForFunction(dir => document.querySelector('.quick-input-widget .quick-input-box input')?.value === dir,
      `${wb.workspace}/`, { timeout: 15000 });
    await input.fill(`${parent}/`);
    // The picker has moved into the (empty) folder when the path is ours and '..' is all it lists.
    await page.waitForFunction(dir => {
      const value = document.querySelector('.quick-input-widget .quick-input-box input')?.value;
      const rows = [...document.querySelectorAll('.quick-input-widget .quick-input-list .monaco-list-row')].map(r => r.textContent.trim());
      return value === dir && rows.length === 1 && rows[0] === '..';
    }, `${parent}/`, { timeout: 15000 });
    await wb.screenshot('g1-folder-picker');
    await page.keyboard.press('Enter');
    await wb.notification(`Cloned ${MODEL} into`, 180000);
    await wb.screenshot('g1-cloned');
    clone = path.join(parent, MODEL.split('/')[1]);
    assert.ok(fs.existsSync(path.join(clone, '.git', 'config')), 'a git repository');
    assert.ok(fs.existsSync(path.join(clone, 'config.json')), 'with the model files checked out');
  });

  it('(g2) finds none of the run\'s secrets in its files, the remote job folder or any command line', async () => {
    const secrets = await wb.secrets();
    // The shared part also covers everything new in the temp folders (the sidecar's askpass folders among them).
    const sweep = await sweepWorkbench(wb, secrets, assert);
    sweep.files('download cache', listFiles(wb.cacheDir));
    sweep.files('sidecar job state', listFiles(wb.jobsStateDir));
    sweep.files('cloned repository', listFiles(clone));
    const remote = SSH ? await remoteFiles('~/.modelide/jobs') : [];
    sweep.contents('SSH host: ~/.modelide/jobs/', remote);
    const lines = new Map(samplers.map(s => [s.where, s.stop()]));
    for (const [where, seen] of lines) sweep.commandLines(where, seen);
    console.log(`# ${sweep.summary()}; ${samplers.map(s => `${s.samples} ps samples (${s.where})`).join(', ')}`);
    assert.deepEqual(sweep.findings, [], 'secrets found (path and offset; the values are not printed)');

    // The sweep looked where the secrets would be: the log with the sidecar's lines, the clone's .git, the browser's
    // localStorage file holding SecretStorage (sealed), the remote job that was given the token, its command lines.
    const files = [...sweep.scanned.keys()];
    const log = files.find(f => f.startsWith(wb.userData) && f.endsWith(path.join('modelide.modelide', 'ModelScope.log')));
    assert.ok(log && /modelide sidecar .* started/.test(fs.readFileSync(log, 'utf8')), 'the extension log with the sidecar log was swept');
    assert.ok(files.includes(path.join(clone, '.git', 'config')), 'the clone\'s .git/config was swept');
    assert.ok(files.some(f => f.startsWith(wb.cacheDir) && f.endsWith('model.onnx')), 'the download cache was swept');
    assert.ok(files.includes(path.join(wb.jobsStateDir, 'jobs.json')), 'the sidecar\'s job list was swept');
    assert.ok(files.some(f => isSecretStorage(f)), 'the browser localStorage with code-server\'s SecretStorage was swept');
    if (SSH) {
      assert.ok(jobId, 'the job id of (d)');
      const given = remote.filter(f => f.name.startsWith(`./${jobId}/`) && f.name.endsWith('/args.json'))
        .some(f => JSON.parse(f.data.toString('utf8')).token_present === true);
      assert.ok(given, 'the remote job was given the token');
      assert.ok(lines.get('SSH host').some(l => l.includes(`.modelide/jobs/${jobId}`)), 'command lines were sampled while the job ran');
    }
  });
});
