import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { locateSidecar, serveArguments } from '../../../extension/src/sidecar/sidecarLocator';
import { RestartPolicy } from '../../../extension/src/sidecar/restartPolicy';

const ext = path.join('/opt', 'repo', 'extension');
const exists = (files: string[]) => (f: string) => files.includes(path.normalize(f));

describe('locateSidecar', () => {
  it('prefers the setting, then MODELIDE_SIDECAR', () => {
    assert.deepEqual(locateSidecar({ settingPath: '/x/modelide.dll', envPath: '/y/modelide', extensionPath: ext, platform: 'linux', exists: exists([]) }), {
      command: 'dotnet',
      args: ['/x/modelide.dll'],
      source: 'setting',
    });
    assert.deepEqual(locateSidecar({ envPath: '/y/modelide', extensionPath: ext, platform: 'linux', exists: exists([]) }), { command: '/y/modelide', args: [], source: 'env' });
  });
  it('uses the bundled self-contained executable before the bundled dll', () => {
    const files = [path.join(ext, 'sidecar', 'modelide'), path.join(ext, 'sidecar', 'modelide.dll')];
    assert.equal(locateSidecar({ extensionPath: ext, platform: 'linux', exists: exists(files) })?.source, 'bundled');
    assert.equal(locateSidecar({ extensionPath: ext, platform: 'linux', exists: exists(files.slice(1)) })?.source, 'bundledDll');
  });
  it('falls back to the repository build for development, then gives up', () => {
    const repo = path.join('/opt', 'repo', '.build', 'cli', 'modelide.dll');
    assert.deepEqual(locateSidecar({ extensionPath: ext, platform: 'linux', exists: exists([repo]) }), { command: 'dotnet', args: [repo], source: 'repository' });
    assert.equal(locateSidecar({ extensionPath: ext, platform: 'linux', exists: exists([]) }), undefined);
  });
  it('builds the serve command line', () => {
    assert.deepEqual(serveArguments({ command: 'dotnet', args: ['m.dll'], source: 'repository' }, 42, 'http://127.0.0.1:8765', 'debug'), [
      'm.dll', 'serve', '--clientProcessId', '42', '--endpoint', 'http://127.0.0.1:8765', '--log-level', 'debug',
    ]);
  });
});

describe('RestartPolicy', () => {
  it('backs off and gives up at the fifth crash within three minutes', () => {
    const policy = new RestartPolicy();
    const t0 = 1_000_000;
    const decisions = [0, 1, 2, 3, 4].map((i) => policy.recordCrash(t0 + i * 10_000));
    assert.deepEqual(decisions.map((d) => d.restart), [true, true, true, true, false]);
    assert.deepEqual(decisions.slice(0, 4).map((d) => d.delayMs), [500, 1000, 2000, 4000]);
  });
  it('forgets crashes older than three minutes', () => {
    const policy = new RestartPolicy();
    for (let i = 0; i < 4; i++) {
      policy.recordCrash(i * 1000);
    }
    const later = policy.recordCrash(4 * 1000 + 3 * 60 * 1000);
    assert.equal(later.restart, true);
    assert.equal(later.crashesInWindow, 1);
  });
});
