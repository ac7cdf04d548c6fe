// One end-to-end environment: the local hub, code-server with the packaged VSIX installed and pointed at
// that hub, and Chromium driven by Playwright. Everything binds 127.0.0.1 and is stopped by process id.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const { stopTree, freePort, startLogged } = require('./processes');

const ROOT = path.resolve(__dirname, '../../../..');
const ARTIFACTS = path.join(process.env.MODELIDE_ARTIFACTS || path.join(ROOT, 'test-results'), 'e2e');
const DEMO_PASSWORD = 'demo-password';
// Process ids of what a test started, so scripts/teardown/30-code-server.sh can stop leftovers of a killed run.
const PID_DIR = path.join(process.env.MODELIDE_STATE || path.join(ROOT, '.build/test-state'), 'e2e-pids');

function remember(pid) {
  fs.mkdirSync(PID_DIR, { recursive: true });
  fs.writeFileSync(path.join(PID_DIR, String(pid)), '');
}

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run scripts/setup/30-code-server.sh (it writes it to $MODELIDE_TEST_ENV)`);
  return value;
}

function findVsix() {
  if (process.env.MODELIDE_VSIX) return process.env.MODELIDE_VSIX;
  const dist = path.join(ROOT, 'dist');
  const found = fs.existsSync(dist) ? fs.readdirSync(dist).filter(f => /^modelide-linux-x64-.*\.vsix$/.test(f)) : [];
  if (!found.length) throw new Error('no dist/modelide-linux-x64-*.vsix: run scripts/package.sh first');
  return path.join(dist, found.sort().pop());
}

function hubCommand() {
  const published = path.join(ROOT, '.build/sidecar/linux-x64/modelide');
  return fs.existsSync(published) ? published : path.join(ROOT, 'modelide');
}

class Workbench {
  constructor(name) {
    this.name = name;
    /** When this run began: the secret sweep looks at temp files created or changed since then. */
    this.startedAt = Date.now();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `modelide-e2e-${name}-`));
    // A token of this run only (not the hub's default), so a sweep on a shared machine finds nothing of other runs'.
    this.demoToken = `ms-e2e-${crypto.randomBytes(16).toString('hex')}`;
    this.userData = path.join(this.dir, 'user-data');
    this.extensionsDir = path.join(this.dir, 'extensions');
    this.cacheDir = path.join(this.dir, 'cache');
    /** The sidecar's job state (jobs.json, its known_hosts): per run, so each run trusts the SSH host afresh. */
    this.jobsStateDir = path.join(this.dir, 'jobs-state');
    this.pids = [];
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }

  /** Starts hub + code-server (+ extension) and opens the workbench in Chromium. */
  /** `workspaceSettings`: written to the opened folder's .vscode/settings.json (what a cloned project may carry). */
  /** `models`: the folder whose sub-folders the hub serves as modelide/<name> (default: the repository's models/). */
  async start({ locale, settings = {}, workspaceSettings, models = path.join(ROOT, 'models') } = {}) {
    const codeServer = required('CODE_SERVER');
    const node24 = required('NODE24');
    const env = { ...process.env, PATH: `${node24}/bin:${process.env.PATH}`, MODELSCOPE_CACHE: this.cacheDir, MODELIDE_JOBS_STATE_DIR: this.jobsStateDir };
    delete env.MODELSCOPE_API_TOKEN;
    delete env.NODE_OPTIONS;

    const hubPort = await freePort();
    // The token goes to the hub in its environment: a command line is visible to every user (and to the sweep).
    const hub = await startLogged(hubCommand(), ['hub', '--port', String(hubPort), '--data', path.join(this.dir, 'hub'),
      '--models', models, '--catalogue-size', '200'],
      { env: { ...env, MODELIDE_HUB_DEMO_TOKEN: this.demoToken }, cwd: ROOT, log: path.join(ARTIFACTS, `${this.name}-hub.log`), ready: t => /Local hub ready|http:\/\/127\.0\.0\.1:\d+/.test(t) });
    this.pids.push(hub.child.pid);
    remember(hub.child.pid);
    this.hubUrl = `http://127.0.0.1:${hubPort}`;

    const ext = this.extensionsDir;
    const data = this.userData;
    this.workspace = path.join(this.dir, 'workspace');
    fs.mkdirSync(path.join(data, 'User'), { recursive: true });
    fs.mkdirSync(this.workspace, { recursive: true });
    fs.writeFileSync(path.join(this.workspace, 'README.md'), '# e2e workspace\n');
    if (workspaceSettings) {
      fs.mkdirSync(path.join(this.workspace, '.vscode'), { recursive: true });
      fs.writeFileSync(path.join(this.workspace, '.vscode', 'settings.json'), JSON.stringify(workspaceSettings, null, 2));
    }
    fs.writeFileSync(path.join(data, 'User', 'settings.json'), JSON.stringify({
      'modelscope.endpoint': this.hubUrl,
      'modelscope.cacheDir': this.cacheDir,
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'chat.disableAIFeatures': true,
      'update.mode': 'none',
      ...settings,
    }, null, 2));
    execFileSync(codeServer, ['--install-extension', findVsix(), '--extensions-dir', ext, '--user-data-dir', data],
      { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });

    if (locale === 'zh-cn') {
      // A stub language pack makes VS Code accept the locale offline (see fixtures/zh-cn-locale-stub).
      const vsce = path.join(ROOT, 'scripts/vsce/node_modules/.bin/vsce');
      const stub = path.join(this.dir, 'zh-cn-locale-stub.vsix');
      execFileSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', stub],
        { cwd: path.join(__dirname, '../fixtures/zh-cn-locale-stub'), stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
      execFileSync(codeServer, ['--install-extension', stub, '--extensions-dir', ext, '--user-data-dir', data],
        { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
      // The server resolves the display language from languagepacks.json at start; it writes that file only
      // when it installs a pack itself, so write the entry for the stub here.
      const stubDir = fs.readdirSync(ext).find(d => d.startsWith('modelide-tests.zh-cn-locale-stub-'));
      fs.writeFileSync(path.join(data, 'languagepacks.json'), JSON.stringify({
        'zh-cn': {
          hash: 'e2e-stub-0.0.1',
          extensions: [{ extensionIdentifier: { id: 'modelide-tests.zh-cn-locale-stub' }, version: '0.0.1' }],
          translations: { vscode: path.join(ext, stubDir, 'translations/main.i18n.json') },
          label: '中文(简体)',
        },
      }));
      fs.writeFileSync(path.join(data, 'User', 'argv.json'), JSON.stringify({ locale: 'zh-cn' }));
    }

    const port = await freePort();
    const args = ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--user-data-dir', data, '--extensions-dir', ext];
    if (locale) args.push('--locale', locale);
    args.push(this.workspace);
    const cs = await startLogged(codeServer, args,
      { env, cwd: this.dir, log: path.join(ARTIFACTS, `${this.name}-code-server.log`), ready: t => /HTTP server listening/.test(t) });
    this.pids.push(cs.child.pid);
    remember(cs.child.pid);
    this.url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(this.workspace)}`;

    // A browser profile on disk, like a user's: code-server keeps SecretStorage in the browser's localStorage, and a
    // throwaway (incognito) context would keep it in memory only, out of the secret sweep's reach.
    this.browserProfile = path.join(this.dir, 'browser-profile');
    this.context = await chromium.launchPersistentContext(this.browserProfile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', ...(locale ? [`--lang=${locale}`] : [])],
      viewport: { width: 1400, height: 900 },
      locale: locale || 'en-US',
    });
    this.page = this.context.pages()[0] ?? await this.context.newPage();
    await this.page.goto(this.url);
    await this.page.waitForSelector('.monaco-workbench', { timeout: 90000 });
    // The ModelScope activity bar entry appears once the extension is registered.
    await this.page.waitForSelector('.activitybar [aria-label^="ModelScope"]', { timeout: 90000 });
    return this;
  }

  /** The secrets this run handed out, asked from the hub (never written down twice): [{ name, value }]. */
  async secrets() {
    const login = await fetch(`${this.hubUrl}/api/v1/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ AccessToken: this.demoToken }),
    }).then(r => r.json());
    const issued = await fetch(`${this.hubUrl}/_admin/oauth/issued`).then(r => r.json());
    return [
      { name: 'access token', value: this.demoToken },
      { name: 'git token', value: login.Data.AccessToken },
      ...issued.data.accessTokens.map((value, i) => ({ name: `OAuth access token #${i + 1}`, value })),
      ...issued.data.refreshTokens.map((value, i) => ({ name: `OAuth refresh token #${i + 1}`, value })),
    ];
  }

  /** code-server's SecretStorage: the browser's localStorage entry `secrets.provider` (a sealed, base64 blob). */
  async secretStorageValue() {
    return this.page.evaluate(() => localStorage.getItem('secrets.provider'));
  }

  /** Closes the browser: its profile is then complete on disk (localStorage is written lazily). */
  async closeBrowser() {
    if (this.context) await this.context.close().catch(() => undefined);
    this.context = undefined;
    this.page = undefined;
  }

  async screenshot(label) {
    if (!this.page) return undefined;
    const file = path.join(ARTIFACTS, `${this.name}-${label}.png`);
    await this.page.screenshot({ path: file }).catch(() => undefined);
    return file;
  }

  /** Runs a command by its title from the command palette. */
  async runCommand(title) {
    const page = this.page;
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15000 });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible', timeout: 15000 });
    await row.click();
  }

  /** Picks the quick-pick row whose text matches. */
  async pick(text, timeout = 30000) {
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ state: 'visible', timeout });
    await row.click();
  }

  /** Types into the open input box and accepts it. */
  async answer(value, timeout = 30000) {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout });
    await input.fill(value);
    await this.page.keyboard.press('Enter');
  }

  /** Waits for a notification toast whose text matches. */
  async notification(text, timeout = 60000) {
    const toast = this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
    await toast.waitFor({ state: 'visible', timeout });
    return toast;
  }

  /** Opens the Accounts menu of the activity bar and returns its text. */
  async accountsMenuText() {
    const page = this.page;
    await page.keyboard.press('Escape');
    await page.locator('.activitybar [aria-label^="Accounts"]').first().click();
    const menu = page.locator('.monaco-menu-container .monaco-menu, .context-view .monaco-menu').first();
    await menu.waitFor({ state: 'visible', timeout: 15000 });
    return menu.innerText();
  }

  /**
   * The content frame of the webview panel that holds `selector`. VS Code keeps hidden panels' iframes in the page
   * (retainContextWhenHidden), and their order there is not the order the panels opened in: pick by content.
   */
  async webview(selector, timeout = 60000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const count = await this.page.locator('iframe.webview').count();
      for (let i = count - 1; i >= 0; i--) {
        const frame = this.page.frameLocator('iframe.webview').nth(i).frameLocator('iframe#active-frame');
        if (await frame.locator(selector).count().catch(() => 0) > 0) return frame;
      }
      if (Date.now() > deadline) throw new Error(`no webview with ${selector} among ${count} within ${timeout} ms`);
      await this.page.waitForTimeout(250);
    }
  }

  /** The last lines of the extension's ModelScope log (redacted by the extension), for a failing test's message. */
  extensionLog(lines = 40) {
    const found = [];
    const walk = dir => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('ModelScope.log')) found.push(p);
      }
    };
    try { walk(path.join(this.userData, 'logs')); } catch { /* no logs yet */ }
    const text = found.map(f => fs.readFileSync(f, 'utf8')).join('\n');
    return text.split('\n').filter(Boolean).slice(-lines).join('\n');
  }

  /** Right-clicks a tree row and chooses a context menu entry by its exact title. */
  async contextMenu(row, title) {
    await row.click({ button: 'right' });
    const item = this.page.getByRole('menuitem', { name: title, exact: true }).first();
    await item.waitFor({ state: 'visible', timeout: 15000 });
    await item.hover();
    await item.click();
  }

  async openModelScopeView() {
    const item = this.page.locator('.activitybar [aria-label^="ModelScope"]').first();
    const checked = await item.getAttribute('aria-checked').catch(() => null);
    const parentChecked = await this.page.locator('.activitybar .action-item.checked [aria-label^="ModelScope"]').count();
    if (checked !== 'true' && parentChecked === 0) await item.click();
    await this.page.locator('.pane-header', { hasText: /Models|模型/ }).first().waitFor({ state: 'visible', timeout: 30000 });
  }

  /**
   * Searches the sidebar as a user does (palette > Search Models..., best match, any task and library) and waits for
   * the row of the model named `model`; returns the Models tree and that row.
   */
  async searchModels(query, model) {
    await this.openModelScopeView();
    await this.runCommand('Search Models...');
    await this.answer(query);
    await this.pick('Best match');
    await this.pick('Any');
    await this.pick('Any');
    const tree = this.page.locator('.pane', { hasText: /Models/ }).first();
    const row = tree.locator('.monaco-list-row', { hasText: model }).first();
    await row.waitFor({ state: 'visible', timeout: 60000 });
    return { tree, row };
  }

  async stop() {
    await this.closeBrowser();
    for (const pid of this.pids.reverse()) {
      await stopTree(pid);
      fs.rmSync(path.join(PID_DIR, String(pid)), { force: true });
    }
    this.pids = [];
    if (!process.env.MODELIDE_E2E_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { Workbench, ROOT, ARTIFACTS, DEMO_PASSWORD };
