// "Sign in to ModelScope" beside the ModelScope Python SDK (issue 15): the compiled extension on a stub `vscode`, the
// real sidecar (.build/cli/modelide-sidecar.dll) with its own HOME, and the local hub (.build/cli/modelide.dll hub).
// The SDK's saved login is written by Debian's python3 the way modelscope 1.37's HubApi.login leaves it
// (tests/fixtures/sdk/write_sdk_login.py): a pickled cookie jar holding the API token, the git token beside it.
import { strict as assert } from 'node:assert';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFakeVscode } from './fixtures/fakeVscode';
import { extensionRoot, repoRoot as checkoutRoot } from '../paths';

const repoRoot = process.env.MODELIDE_ROOT ?? checkoutRoot;
const cliDll = path.join(repoRoot, '.build', 'cli', 'modelide.dll');
const sidecarDll = path.join(repoRoot, '.build', 'cli', 'modelide-sidecar.dll');
const built = fs.existsSync(cliDll) && fs.existsSync(sidecarDll);
const apiToken = 'ms-sdk-saved-login-4242';
const moduleLoader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const originalLoad = moduleLoader._load;
const sdkVariables = ['MODELSCOPE_ENDPOINT', 'MODELSCOPE_DOMAIN', 'MODELSCOPE_API_TOKEN', 'MODELSCOPE_CREDENTIALS_PATH', 'MODELSCOPE_HOME'];

/** Starts `modelide hub` on a free port; resolves with the process and the URL it prints first on stdout. */
function startHub(dataDir: string): Promise<{ hub: ChildProcess; endpoint: string }> {
  const hub = spawn('dotnet', [cliDll, 'hub', '--port', '0', '--catalogue-size', '0', '--data', dataDir], {
    env: { ...process.env, MODELIDE_HUB_DEMO_TOKEN: apiToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  hub.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    hub.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        resolve({ hub, endpoint: line.trim().replace(/\/$/, '') });
      }
    });
    hub.on('exit', (code) => reject(new Error(`modelide hub exited with ${code}: ${err}`)));
  });
}

describe('"Sign in to ModelScope" with the SDK\'s saved login (real sidecar, local hub)', { skip: built ? false : `build it first: ./modelide --version (${sidecarDll})` }, () => {
  let tmp: string;
  let hub: ChildProcess | undefined;
  let endpoint: string;
  let credentials: string;
  let fake: ReturnType<typeof createFakeVscode>;
  let context: ReturnType<ReturnType<typeof createFakeVscode>['context']>;
  let api: any;
  const savedEnv: Record<string, string | undefined> = {};

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'modelide-sdk-signin-'));
    ({ hub, endpoint } = await startHub(path.join(tmp, 'hub')));
    const home = path.join(tmp, 'home');
    credentials = path.join(home, '.modelscope', 'credentials');
    execFileSync('/usr/bin/python3', [path.join(repoRoot, 'tests', 'fixtures', 'sdk', 'write_sdk_login.py'), 'login', credentials, '--token', apiToken, '--endpoint', endpoint]);

    // The SDK's hub is this one (MODELSCOPE_ENDPOINT), as for a user who ran `modelscope login` against it.
    for (const name of sdkVariables) {
      savedEnv[name] = process.env[name];
      delete process.env[name];
    }
    process.env.MODELSCOPE_ENDPOINT = endpoint;
    const wrapper = path.join(tmp, 'modelide-sidecar');
    fs.writeFileSync(wrapper, `#!/bin/sh\nHOME='${home}' XDG_CONFIG_HOME='${home}/.config' exec dotnet '${sidecarDll}' "$@"\n`, { mode: 0o755 });
    process.env.MODELIDE_SIDECAR = wrapper;

    fake = createFakeVscode({ 'modelscope.endpoint': endpoint, 'modelscope.organizations': [] });
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
    for (const name of sdkVariables) {
      if (savedEnv[name] === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = savedEnv[name];
      }
    }
    hub?.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('offers the SDK\'s saved login with its user, and signs in with the API token from the cookie jar, not git_token', async () => {
    const gitToken = fs.readFileSync(path.join(credentials, 'git_token'), 'utf8').trim();
    assert.ok(gitToken.length > 0 && gitToken !== apiToken, 'the SDK saved a git token other than the API token');
    assert.equal(api.getState().signedIn, false);

    fake.quickPickAnswers.push((items) => items.find((i) => i.method === 'local'));
    await fake.vscode.commands.executeCommand('modelscope.signIn');

    const shown = fake.quickPicks.find((q) => q.title === 'Sign in to ModelScope');
    assert.ok(shown, 'the sign-in choices were shown');
    const local = shown.items.find((i) => i.method === 'local');
    assert.equal(local?.label, '$(key) Use the token from the ModelScope SDK credentials');
    assert.equal(local?.detail, 'demo', 'named with the user the SDK saved');
    assert.deepEqual(fake.messages.filter((m) => m.kind === 'error'), []);
    assert.equal(api.getState().signedIn, true);
    assert.equal(api.getState().userName, 'demo');
    assert.ok(fake.messages.some((m) => m.kind === 'info' && m.text.startsWith('Signed in to ModelScope as demo')));
    // The session's access token is the cookie jar's API token; git_token is never sent as one (the hub's own git token
    // comes back with the session, for clones).
    const stored = JSON.parse([...fake.secretValues.values()][0]) as { sessions: { accessToken: string; userName: string }[] };
    assert.deepEqual(stored.sessions.map((s) => [s.userName, s.accessToken]), [['demo', apiToken]]);
  });
});
