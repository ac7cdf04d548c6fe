import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { locateSidecar, serveArguments } from '../../../extension/src/sidecar/sidecarLocator';
import { RestartPolicy } from '../../../extension/src/sidecar/restartPolicy';

const ext = path.join('/opt', 'repo', 'extension');
const exists = (files: string[]) => (f: string) => files.includes(path.normalize(f));

describe('locateSidecar', () => {
  it('prefers the setting, then MODELIDE_SIDECAR; either may name the sidecar or the `modelide` CLI', () => {
    assert.deepEqual(locateSidecar({ settingPath: '/x/modelide.dll', envPath: '/y/modelide-sidecar', extensionPath: ext, platform: 'linux', exists: exists([]) }), {
      command: 'dotnet',
      args: ['/x/modelide.dll'],
      cli: true,
      source: 'setting',
    });
    assert.deepEqual(locateSidecar({ envPath: '/y/modelide-sidecar', extensionPath: ext, platform: 'linux', exists: exists([]) }), {
      command: '/y/modelide-sidecar',
      args: [],
      cli: false,
      source: 'env',
    });
  });
  it('uses the bundled self-contained sidecar before a bundled dll', () => {
    const files = [path.join(ext, 'sidecar', 'modelide-sidecar'), path.join(ext, 'sidecar', 'modelide-sidecar.dll')];
    assert.deepEqual(locateSidecar({ extensionPath: ext, platform: 'linux', exists: exists(files) }), { command: files[0], args: [], cli: false, source: 'bundled' });
    assert.equal(locateSidecar({ extensionPath: ext, platform: 'linux', exists: exists(files.slice(1)) })?.source, 'bundledDll');
    const exe = path.join(ext, 'sidecar', 'modelide-sidecar.exe');
    assert.equal(locateSidecar({ extensionPath: ext, platform: 'win32', exists: exists([exe]) })?.command, exe);
  });
  it('falls back to the repository build for development (the sidecar, else the CLI), then gives up', () => {
    const sidecar = path.join('/opt', 'repo', '.build', 'cli', 'modelide-sidecar.dll');
    const cli = path.join('/opt', 'repo', '.build', 'cli', 'modelide.dll');
    assert.deepEqual(locateSidecar({ extensionPath: ext, platform: 'linux', exists: exists([sidecar, cli]) }), { command: 'dotnet', args: [sidecar], cli: false, source: 'repository' });
    assert.deepEqual(locateSidecar({ extensionPath: ext, platform: 'linux', exists: exists([cli]) }), { command: 'dotnet', args: [cli], cli: true, source: 'repository' });
    assert.equal(locateSidecar({ extensionPath: ext, platform: 'linux', exists: exists([]) }), undefined);
  });
  it('builds the command line: `serve` only for the CLI', () => {
    assert.deepEqual(serveArguments({ command: 'dotnet', args: ['m.dll'], cli: true, source: 'repository' }, 42, 'http://127.0.0.1:8765', 'debug'), [
      'm.dll', 'serve', '--clientProcessId', '42', '--endpoint', 'http://127.0.0.1:8765', '--log-level', 'debug',
    ]);
    assert.deepEqual(serveArguments({ command: '/e/sidecar/modelide-sidecar', args: [], cli: false, source: 'bundled' }, 42, 'https://modelscope.cn'), [
      '--clientProcessId', '42', '--endpoint', 'https://modelscope.cn',
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
