// Activates the compiled extension against a stub `vscode` and the stand-in sidecar: sign-in by token,
// the status bar, the Models tree, and re-activation of the session after the sidecar is killed.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFakeVscode } from './fixtures/fakeVscode';
import { extensionRoot } from '../paths';

const fake = createFakeVscode({ 'modelscope.endpoint': 'http://127.0.0.1:8765/', 'modelscope.organizations': [] });
const moduleLoader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const originalLoad = moduleLoader._load;

let api: any;
let context: ReturnType<typeof fake.context>;
let wrapperDir: string;

async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

process.on('unhandledRejection', (e) => console.error('UNHANDLED', (e as Error)?.stack));
const calls = async () => (await api.sidecar.request('test/calls')) as { method: string; params: any }[];

describe('extension activation (stub vscode, stand-in sidecar)', () => {
  before(async () => {
    wrapperDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelide-sidecar-'));
    const wrapper = path.join(wrapperDir, 'modelide');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${path.join(__dirname, 'fixtures', 'fakeSidecar.js')}" "$@"\n`, { mode: 0o755 });
    process.env.MODELIDE_SIDECAR = wrapper;
    moduleLoader._load = function (request: string, ...rest: unknown[]) {
      return request === 'vscode' ? fake.vscode : originalLoad.call(this, request, ...rest);
    };
    const extension = require(path.join(extensionRoot, 'out', 'extension', 'src', 'extension.js'));
    context = fake.context(extensionRoot);
    api = await extension.activate(context);
  });

  after(() => {
    for (const d of context?.subscriptions ?? []) {
      d.dispose();
    }
    moduleLoader._load = originalLoad;
    delete process.env.MODELIDE_SIDECAR;
    fs.rmSync(wrapperDir, { recursive: true, force: true });
  });

  it('registers the modelscope authentication provider and starts signed out', () => {
    assert.deepEqual(fake.authProviders.map((p) => [p.id, p.label]), [['modelscope', 'ModelScope']]);
    assert.equal(api.getState().signedIn, false);
    assert.equal(fake.contextKeys['modelscope.signedIn'], false);
    assert.ok(fake.statusBarItems[0].text.endsWith('ModelScope: Sign in'));
  });

  it('rejects a wrong token with a clear message and stores nothing', async () => {
    await fake.vscode.commands.executeCommand('modelscope.signIn', { accessToken: 'ms-wrong-token-000' });
    assert.ok(fake.messages.some((m) => m.kind === 'error' && /not accepted by http:\/\/127\.0\.0\.1:8765: The token is not valid/.test(m.text)));
    assert.equal(fake.secretValues.size, 0);
    assert.equal(api.getState().signedIn, false);
  });

  it('signs in with a valid token: stored in SecretStorage only, activated in the sidecar, shown in the status bar', async () => {
    await fake.vscode.commands.executeCommand('modelscope.signIn', { accessToken: 'ms-good-token-123' });
    const state = api.getState();
    assert.equal(state.signedIn, true);
    assert.equal(state.userName, 'demo');
    assert.ok([...fake.secretValues.values()][0].includes('ms-good-token-123'));
    assert.ok(fake.statusBarItems[0].text.endsWith('ModelScope: demo @ 127.0.0.1:8765'));
    assert.equal(fake.contextKeys['modelscope.signedIn'], true);
    const activations = (await calls()).filter((c) => c.method === 'auth/activate');
    assert.deepEqual(activations.map((c) => c.params.userName), ['demo']);
    const sessions = await fake.authProviders[0].provider.getSessions([]);
    assert.deepEqual(sessions.map((s: any) => s.account.label), ['demo']);
    assert.ok(!fake.logLines.some((l) => l.includes('ms-good-token-123')), 'the token never reaches the log');
  });

  it('lists "My models" of the signed-in user in the Models tree', async () => {
    const provider = fake.treeViews.get('modelscope.models').provider;
    const roots = await provider.getChildren(undefined);
    const labels = roots.map((r: any) => provider.getTreeItem(r).label);
    assert.deepEqual(labels, ['My models', 'Add organisation...', 'Search...']);
    const models = await provider.getChildren(roots[0]);
    assert.deepEqual(models.map((m: any) => provider.getTreeItem(m).label), ['demo/tiny']);
    assert.equal(provider.getTreeItem(models[0]).contextValue, 'modelscope.model');
  });

  it('re-sends initialize and the session to a restarted sidecar after a crash', async () => {
    const pid = api.sidecar.processId;
    process.kill(pid, 'SIGKILL');
    await until(() => api.sidecar.processId !== undefined && api.sidecar.processId !== pid && api.sidecar.state === 'running', 'the restart');
    const after = await calls();
    assert.deepEqual(after.filter((c) => c.method === 'auth/activate').map((c) => c.params.userName), ['demo'], 'the new process got the session');
    assert.ok(fake.messages.some((m) => m.kind === 'error' && m.text.includes('stopped unexpectedly')), 'one notification for the crash');
    assert.equal(api.getState().sidecarStarts, 2);
  });

  it('tells the running sidecar about a log level change on the output channel, without restarting it', async () => {
    const pid = api.sidecar.processId;
    fake.setLogLevel(fake.vscode.LogLevel.Debug);
    fake.setLogLevel(fake.vscode.LogLevel.Error);
    const levels = await until(async () => {
      const seen = (await api.sidecar.request('test/setLogLevels')) as { level: string }[];
      return seen.length >= 2 && seen;
    }, 'the notifications');
    assert.deepEqual(levels.map((l) => l.level), ['debug', 'error']);
    assert.equal(api.sidecar.processId, pid);
    fake.setLogLevel(fake.vscode.LogLevel.Info);
  });

  it('downloads with a progress notification showing bytes, speed and ETA', async () => {
    const result = await fake.vscode.commands.executeCommand('modelscope.download', 'demo/tiny');
    assert.deepEqual(result, { localPath: '/cache/demo/tiny', files: 1, bytes: 4 * 1024 * 1024 });
    const shown = fake.progress.find((p) => p.title === 'Downloading demo/tiny');
    assert.ok(shown);
    assert.equal(shown.reports[0].message, '1.0 MB / 4.0 MB · 1.0 MB/s · ETA 0:03 · 0/1 files');
    assert.equal(shown.reports.reduce((sum, r) => sum + (r.increment ?? 0), 0), 100);
    assert.deepEqual(api.getState().completedDownloads.map((d: any) => d.modelId), ['demo/tiny']);
  });

  it('offers only the ONNX variant that runs here and the shared files when a repository holds several', async () => {
    const window = fake.vscode.window;
    const original = window.showQuickPick;
    const starts = async () => (await calls()).filter((c) => c.method === 'downloads/start');
    try {
      let shown: { items: any[]; title: string } | undefined;
      window.showQuickPick = async (items: any[], o: any) => {
        shown = { items, title: o.title };
        return items[0];
      };
      await fake.vscode.commands.executeCommand('modelscope.download', 'demo/variants');
      assert.equal(shown!.title, 'demo/variants holds several ONNX variants. What should be downloaded?');
      assert.deepEqual(shown!.items.map((i) => [i.label, i.description]), [
        ['Only onnx/model_q4.onnx and the shared files', '3 files, 800 MB'],
        ['All 2 variants', '3.0 GB'],
      ]);
      assert.deepEqual((await starts()).pop()!.params.include, ['config.json', 'onnx/model_q4.onnx', 'tokenizer.json']);
      const plan = (await calls()).filter((c) => c.method === 'inference/downloadPlan').pop()!;
      assert.deepEqual(plan.params, { modelId: 'demo/variants', policy: 'auto' });

      // Everything: no include list. Escape: nothing is downloaded.
      window.showQuickPick = async (items: any[]) => items[1];
      await fake.vscode.commands.executeCommand('modelscope.download', 'demo/variants');
      assert.equal((await starts()).pop()!.params.include, undefined);
      const before = (await starts()).length;
      window.showQuickPick = async () => undefined;
      assert.equal(await fake.vscode.commands.executeCommand('modelscope.download', 'demo/variants'), undefined);
      assert.equal((await starts()).length, before);

      // One variant: no question.
      window.showQuickPick = async () => assert.fail('asked about a repository with one variant');
      await fake.vscode.commands.executeCommand('modelscope.download', 'demo/one-variant');
      assert.equal((await starts()).pop()!.params.include, undefined);
    } finally {
      window.showQuickPick = original;
    }
  });

  it('cancels a download through $/cancelRequest', async () => {
    const pending = fake.vscode.commands.executeCommand('modelscope.download', 'demo/slow');
    const shown = await until(() => fake.progress.find((p) => p.title === 'Downloading demo/slow' && p.reports.length > 0), 'progress');
    shown.cancel();
    assert.equal(await pending, undefined);
    assert.ok(fake.messages.some((m) => m.text.startsWith('Download of demo/slow cancelled')));
    assert.ok(!api.getState().completedDownloads.some((d: any) => d.modelId === 'demo/slow'));
  });

  it('a download or clone stopped by the end of the session warns that it resumes after signing in, not a failure', async () => {
    const before = fake.messages.length;
    assert.equal(await fake.vscode.commands.executeCommand('modelscope.download', 'demo/expired'), undefined);
    fake.openDialogAnswers.push([os.tmpdir()]);
    await fake.vscode.commands.executeCommand('modelscope.cloneRepository', 'demo/expired');
    const shown = fake.messages.slice(before);
    assert.deepEqual(shown.map((m) => m.kind), ['warning', 'warning'], JSON.stringify(shown));
    assert.match(shown[0].text, /^Download of demo\/expired stopped because the ModelScope session ended\. Sign in again .* resumes where it stopped\.$/);
    assert.match(shown[1].text, /^Clone of demo\/expired stopped because the ModelScope session ended\./);
    assert.equal((await calls()).filter((c) => c.method === 'git/clone').pop()!.params.targetDir, path.join(os.tmpdir(), 'expired'));
    assert.ok(!api.getState().completedDownloads.some((d: any) => d.modelId === 'demo/expired'));
  });

  it('opens a model card with the strict CSP, escaped markdown and no remote images', async () => {
    await fake.vscode.commands.executeCommand('modelscope.openModelCard', 'demo/tiny');
    const panel = fake.panels.find((p) => p.viewType === 'modelscope.modelCard');
    const html: string = panel.webview.html;
    const nonce = /script-src 'nonce-([^']+)'/.exec(html)?.[1];
    assert.ok(nonce, 'the CSP names a script nonce');
    assert.ok(html.includes("default-src 'none'"));
    assert.equal((html.match(/<script/g) ?? []).length, (html.match(new RegExp(`<script nonce="${nonce}"`, 'g')) ?? []).length, 'every script carries the nonce');
    assert.ok(html.includes('<h2>Tiny</h2>'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!html.includes('example.com'));
    assert.ok(html.includes('apache-2.0'));
    assert.deepEqual(api.getState().openModelCards, ['demo/tiny']);
  });

  it('runs a local model: shows device and reason, streams tokens, stops on request', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelide-model-'));
    fs.writeFileSync(path.join(dir, 'genai_config.json'), '{}');
    try {
      await fake.vscode.commands.executeCommand('modelscope.runLocally', fake.vscode.Uri.file(dir));
      const panel = fake.panels.find((p) => p.viewType === 'modelscope.playground');
      assert.ok(panel);
      const loaded = panel.posted.find((m: any) => m.type === 'loaded');
      assert.deepEqual([loaded.device, loaded.reason], ['CPU', 'policy auto: no GPU found']);
      assert.equal(api.getState().playground.device, 'CPU');
      // The header names the file the sidecar chose and why; the inputs start from the model's generation defaults.
      assert.equal(loaded.file, 'Runs onnx/model_q4.onnx: int4 is the fastest precision ONNX Runtime runs on CPU among these');
      assert.deepEqual(loaded.params, { maxNewTokens: 128, temperature: 0.6, topK: 20, topP: 0.8, repetitionPenalty: 1.05 });
      assert.equal(api.getState().playground.file, 'onnx/model_q4.onnx');

      panel.receive({ type: 'send', text: 'Hi', mode: 'chat', params: { maxNewTokens: '64', temperature: '0.7' } });
      const done = await until(() => panel.posted.find((m: any) => m.type === 'done'), 'the answer');
      const streamed = panel.posted.filter((m: any) => m.type === 'token').map((m: any) => m.text).join('');
      assert.equal(streamed, 'Hello from the tiny model');
      assert.equal(done.text, streamed);
      assert.equal(done.tokensPerSecond, 42.5);
      const generate = (await calls()).find((c) => c.method === 'inference/generate')!;
      assert.deepEqual(generate.params.messages, [{ role: 'user', content: 'Hi' }]);
      assert.equal(generate.params.maxNewTokens, 64);
      assert.ok(!panel.posted.some((m: any) => m.type === 'device'), 'the header is not rewritten when the device did not change');

      // A GPU failure mid-generation: the answer still arrives, and the header switches to the CPU with the reason.
      panel.posted.length = 0;
      panel.receive({ type: 'send', text: 'gpu fails', mode: 'completion', params: {} });
      await until(() => panel.posted.find((m: any) => m.type === 'done'), 'the answer after the fallback');
      const moved = panel.posted.find((m: any) => m.type === 'device');
      assert.deepEqual([moved?.device, moved?.reason], ['cpu', 'NVIDIA H200 failed during generation (CUDA out of memory); running on CPU (2 threads)']);
      assert.equal(api.getState().playground.device, 'cpu');

      panel.posted.length = 0;
      panel.receive({ type: 'send', text: 'Tell me more', mode: 'chat', params: { maxNewTokens: '1000' } });
      await until(() => panel.posted.some((m: any) => m.type === 'token'), 'the first token');
      panel.receive({ type: 'stop' });
      const stopped = await until(() => panel.posted.find((m: any) => m.type === 'done'), 'the stop');
      assert.ok(stopped.stopReason === 'cancelled', 'the generation ended because of the stop button');
      assert.ok(panel.posted.filter((m: any) => m.type === 'token').length < 1000);

      // The modelFile setting: the open playground loads that file, and the header says it was the user's choice.
      panel.posted.length = 0;
      const settings = fake.vscode.workspace.getConfiguration('modelscope');
      await settings.update('inference.modelFile', ' onnx/model_int8.onnx ');
      const reloaded = await until(() => panel.posted.find((m: any) => m.type === 'loaded'), 'the reload with the chosen file');
      assert.equal(reloaded.file, 'Runs onnx/model_int8.onnx: chosen by the user');
      const loads = (await calls()).filter((c) => c.method === 'inference/load');
      assert.equal(loads.at(-1)!.params.file, 'onnx/model_int8.onnx');
      // Cleared again: the sidecar chooses.
      panel.posted.length = 0;
      await settings.update('inference.modelFile', '');
      const chosen = await until(() => panel.posted.find((m: any) => m.type === 'loaded'), 'the reload with the sidecar\'s choice');
      assert.equal(chosen.file, 'Runs onnx/model_q4.onnx: int4 is the fastest precision ONNX Runtime runs on CPU among these');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows a job: panel with log and progress, updates from jobs/watch, a notification when it completes', async () => {
    const jobsProvider = fake.treeViews.get('modelscope.jobs').provider;
    const jobs = await jobsProvider.getChildren(undefined);
    assert.deepEqual(jobs.map((j: any) => jobsProvider.getTreeItem(j).contextValue), ['modelscope.job.running']);
    await fake.vscode.commands.executeCommand('modelscope.openJob', 'job-1');
    const panel = fake.panels.find((p) => p.viewType === 'modelscope.job');
    assert.ok(panel.webview.html.includes('Train: 33%'), 'the log tail is in the page data');
    const updates = await until(() => (panel.posted.filter((m: any) => m.type === 'update').length >= 2 ? panel.posted : false), 'two updates');
    assert.deepEqual(updates.map((m: any) => m.job.state), ['running', 'completed']);
    await until(() => fake.messages.some((m) => m.text === 'Fine-tuning job job-1 completed.'), 'the completion notification');
    assert.deepEqual(api.getState().jobs, [{ jobId: 'job-1', state: 'completed' }]);
  });

  it('searches public models with the given query, sort and filters', async () => {
    await fake.vscode.commands.executeCommand('modelscope.searchModels', { query: 'tiny', sort: 'downloads', task: 'text-generation' });
    const provider = fake.treeViews.get('modelscope.models').provider;
    const roots = await provider.getChildren(undefined);
    const search = roots.find((r: any) => r.id === 'search');
    assert.equal(provider.getTreeItem(search).description, '"tiny"');
    const results = await provider.getChildren(search);
    assert.deepEqual(results.map((m: any) => provider.getTreeItem(m).label), ['any/tiny']);
    const request = (await calls()).filter((c) => c.method === 'models/search').pop()!;
    assert.deepEqual([request.params.query, request.params.sort, request.params.task, request.params.pageSize], ['tiny', 'downloads', 'text-generation', 50]);
  });

  it('when the hub revokes the token: one "Sign in again" prompt for repeated reports, and signing in again keeps the search', async () => {
    const provider = fake.treeViews.get('modelscope.models').provider;
    const search = (await provider.getChildren(undefined)).find((r: any) => r.id === 'search');
    assert.deepEqual((await provider.getChildren(search)).map((m: any) => provider.getTreeItem(m).label), ['any/tiny']);
    const searchesBefore = (await calls()).filter((c) => c.method === 'models/search').length;
    const expiredText = /^Your ModelScope session \(demo @ 127\.0\.0\.1:8765\) has expired or was revoked\./;
    const prompts = () => fake.messages.filter((m) => m.kind === 'warning' && expiredText.test(m.text));
    fake.warningAnswers.push('Sign in again');

    await api.sidecar.request('test/expire', { times: 3, userName: 'demo' });
    await until(() => prompts().length > 0, 'the prompt');
    await until(async () => (await calls()).filter((c) => c.method === 'auth/discoverLocalCredentials').length >= 1, 'the sign-in flow');
    await api.sidecar.request('sidecar/ping');
    assert.equal(prompts().length, 1, 'one prompt for three reports');

    // The user signs in again (a new token for the same account): the search and its loaded results stay.
    await fake.vscode.commands.executeCommand('modelscope.signIn', { accessToken: 'ms-good-token-456' });
    assert.ok([...fake.secretValues.values()][0].includes('ms-good-token-456'));
    assert.equal((await calls()).filter((c) => c.method === 'auth/activate').pop()!.params.userName, 'demo');
    const rootsAfter = await provider.getChildren(undefined);
    const searchAfter = rootsAfter.find((r: any) => r.id === 'search');
    assert.equal(provider.getTreeItem(searchAfter).description, '"tiny"');
    assert.deepEqual((await provider.getChildren(searchAfter)).map((m: any) => provider.getTreeItem(m).label), ['any/tiny']);
    assert.equal((await calls()).filter((c) => c.method === 'models/search').length, searchesBefore, 'the results were kept, not fetched again');

    // That new session is reported once more when it expires in turn.
    await api.sidecar.request('test/expire', { times: 2, userName: 'demo' });
    await until(() => prompts().length === 2, 'the second prompt');
  });

  it('signs in with the browser as a second account: opens only the http(s) URL the sidecar sends', async () => {
    await fake.vscode.commands.executeCommand('modelscope.signIn', { method: 'browser' });
    assert.deepEqual(fake.opened, ['http://127.0.0.1:8765/connect/authorize?client_id=modelide&state=xyz']);
    const state = api.getState();
    assert.equal(state.userName, 'oauth-user');
    assert.deepEqual(state.accounts.sort(), ['demo', 'oauth-user']);
    assert.equal(state.lastBrowserUrl, fake.opened[0]);
    const browserCall = (await calls()).find((c) => c.method === 'auth/signInWithBrowser')!;
    assert.deepEqual(browserCall.params.scopes, ['openid', 'profile']);
    assert.ok(fake.statusBarItems[0].text.endsWith('ModelScope: oauth-user @ 127.0.0.1:8765'));
    // The session expires in 61 s: it is refreshed a minute early, stored, and re-activated in the sidecar.
    await until(async () => (await calls()).some((c) => c.method === 'auth/refresh'), 'the refresh');
    await until(() => [...fake.secretValues.values()][0].includes('eyJyZWZyZXNoZWQi'), 'the refreshed token to be stored');
    const refreshed = await fake.authProviders[0].provider.getSessions([]);
    assert.equal(refreshed.find((x: any) => x.id === 'session-2').accessToken, 'eyJhbGciOi.eyJyZWZyZXNoZWQi.sig2');
    await fake.authProviders[0].provider.removeSession('session-2');
    assert.equal(api.getState().userName, 'demo', 'the other account becomes active');
  });

  it('signs out: forgets the session and tells the sidecar', async () => {
    await fake.vscode.commands.executeCommand('modelscope.signOut');
    assert.equal(api.getState().signedIn, false);
    assert.ok(!([...fake.secretValues.values()][0] ?? '').includes('ms-good-token-123'));
    assert.ok((await calls()).some((c) => c.method === 'auth/signOut'));
  });

  it('asks before a token found on this machine goes to another hub than the one it was made for', async () => {
    const saved = { endpoint: process.env.MODELSCOPE_ENDPOINT, domain: process.env.MODELSCOPE_DOMAIN };
    delete process.env.MODELSCOPE_ENDPOINT; // the SDK's hub is then modelscope.cn
    delete process.env.MODELSCOPE_DOMAIN;
    try {
      await api.sidecar.request('test/setLocalCredentials', { source: 'sdk', accessToken: 'ms-good-token-123', userName: 'demo' });
      const validations = async () => (await calls()).filter((c) => c.method === 'auth/validateToken').length;
      const before = await validations();
      const question =
        'The token in the ModelScope SDK credentials was made for modelscope.cn, but the hub set in "modelscope.endpoint" is http://127.0.0.1:8765. Send this token to http://127.0.0.1:8765?';

      fake.warningAnswers.push(undefined); // the user closes the question
      await fake.vscode.commands.executeCommand('modelscope.signIn', { method: 'local' });
      assert.ok(fake.messages.some((m) => m.kind === 'warning' && m.text === question), 'the question names both hubs');
      assert.equal(await validations(), before, 'the token was not sent');
      assert.equal(api.getState().signedIn, false);

      fake.warningAnswers.push('Send it to http://127.0.0.1:8765');
      await fake.vscode.commands.executeCommand('modelscope.signIn', { method: 'local' });
      assert.equal(await validations(), before + 1);
      assert.equal(api.getState().signedIn, true);
    } finally {
      await api.sidecar.request('test/setLocalCredentials', { source: null });
      Object.assign(process.env, Object.fromEntries(Object.entries({ MODELSCOPE_ENDPOINT: saved.endpoint, MODELSCOPE_DOMAIN: saved.domain }).filter(([, v]) => v !== undefined)));
    }
  });

  it('a plain-http hub on another machine: asks first; "Allow" adds that host to the user settings and restarts the sidecar with it', async () => {
    const config = fake.vscode.workspace.getConfiguration('modelscope');
    const allowedInSidecar = async () => ((await api.sidecar.request('test/env', { name: 'MODELIDE_ALLOW_HTTP_HOSTS' })) as { value: string | null }).value;
    // Waits on the state, not on requests: a request written while the old process is being stopped is lost.
    const started = (after: number) => until(() => api.getState().sidecarStarts > after && api.getState().sidecarState === 'running', 'a new sidecar');
    const before = api.getState().sidecarStarts;
    await config.update('endpoint', 'http://hub.example.test:8080');
    await started(before);
    const sentToHub = async () => (await calls()).filter((c) => c.method === 'auth/validateToken' && c.params.endpoint.includes('hub.example.test')).length;
    const warning = (m: { kind: string; text: string }) =>
      m.kind === 'warning' &&
      m.text.startsWith('http://hub.example.test:8080 uses plain HTTP: your ModelScope token would cross the network unencrypted') &&
      m.text.includes('allow plain HTTP for hub.example.test:8080 only if you trust');

    fake.warningAnswers.push(undefined);
    await fake.vscode.commands.executeCommand('modelscope.signIn', { accessToken: 'ms-good-token-123' });
    assert.ok(fake.messages.some(warning));
    assert.equal(await sentToHub(), 0, 'no token went to the plain-http hub');
    assert.equal(config.get('allowHttpHosts'), undefined);
    assert.equal(await allowedInSidecar(), '');

    const starts = api.getState().sidecarStarts;
    fake.warningAnswers.push('Allow plain HTTP for hub.example.test:8080');
    await fake.vscode.commands.executeCommand('modelscope.signIn', { accessToken: 'ms-good-token-123' });
    assert.deepEqual(config.get('allowHttpHosts'), ['hub.example.test:8080']);
    assert.equal(api.getState().sidecarStarts, starts + 1, 'the sidecar was restarted once, with the new list');
    assert.equal(await allowedInSidecar(), 'hub.example.test:8080');
    const hint = (await api.sidecar.request('test/env', { name: 'MODELIDE_ALLOW_HTTP_OPT_IN' })) as { value: string };
    assert.equal(hint.value, 'add "{host}" to the setting "modelscope.allowHttpHosts"', 'the sidecar\'s refusals name the setting');
    assert.equal(await sentToHub(), 1);
    assert.equal(api.getState().signedIn, true);
  });
});
