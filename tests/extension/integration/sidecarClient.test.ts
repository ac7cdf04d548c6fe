import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CrashInfo, LogLevel, SidecarClient, SidecarCommand, SidecarState } from '../../../extension/src/sidecar/sidecarClient';
import { RestartPolicy } from '../../../extension/src/sidecar/restartPolicy';
import { PingResult } from '../../../extension/src/sidecar/protocol.generated';

import { repoRoot as checkoutRoot } from '../paths';

const fakeSidecar = path.join(__dirname, 'fixtures', 'fakeSidecar.js');
const repoRoot = process.env.MODELIDE_ROOT ?? checkoutRoot;
// The sidecar the VSIX ships (modelide-sidecar), built into .build/cli with the CLI by ./modelide.
const realSidecarDll = path.join(repoRoot, '.build', 'cli', 'modelide-sidecar.dll');

interface Harness {
  client: SidecarClient;
  logs: { level: LogLevel; message: string }[];
  crashes: CrashInfo[];
  starts: string[];
  states: SidecarState[];
  waitForState(state: SidecarState): Promise<void>;
}

function harness(launch: () => SidecarCommand, extra: Partial<ConstructorParameters<typeof SidecarClient>[0]> = {}): Harness {
  const logs: Harness['logs'] = [];
  const crashes: CrashInfo[] = [];
  const starts: string[] = [];
  const states: SidecarState[] = [];
  const waiters: { state: SidecarState; resolve: () => void }[] = [];
  const client = new SidecarClient({
    launch,
    log: (level, message) => logs.push({ level, message }),
    onCrash: (info) => crashes.push(info),
    onStarted: async (send) => {
      const result = await send<{ endpoint: string }>('sidecar/initialize', { endpoint: 'http://127.0.0.1:9/' });
      starts.push(result.endpoint);
    },
    onStateChanged: (state) => {
      states.push(state);
      for (const w of waiters.filter((x) => x.state === state)) {
        w.resolve();
      }
    },
    ...extra,
  });
  return {
    client,
    logs,
    crashes,
    starts,
    states,
    waitForState: (state) =>
      client.currentState === state ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ state, resolve })),
  };
}

const fake = (...args: string[]): SidecarCommand => ({ command: process.execPath, args: [fakeSidecar, ...args] });

describe('SidecarClient against a stand-in process', () => {
  it('fails an in-flight request clearly when the process dies, and the next request succeeds', async () => {
    const h = harness(() => fake(), { policy: new RestartPolicy({ maxCrashes: 5, windowMs: 180000, initialDelayMs: 10, maxDelayMs: 10 }) });
    try {
      const first = await h.client.request<PingResult>('sidecar/ping');
      const hanging = h.client.request('test/hang');
      await h.client.request('sidecar/ping'); // the hanging request is on the wire before the kill
      process.kill(first.processId, 'SIGKILL');
      await assert.rejects(hanging, /sidecar stopped unexpectedly.*signal SIGKILL/);
      const second = await h.client.request<PingResult>('sidecar/ping');
      assert.notEqual(second.processId, first.processId);
      assert.equal(h.crashes.length, 1);
      assert.equal(h.crashes[0].willRestart, true);
      assert.equal(h.starts.length, 2, 'initialize is re-sent after the restart');
    } finally {
      h.client.dispose();
    }
  });

  it('logs the sidecar\'s stderr entry by entry at their levels, the stack with its entry, redacted', async () => {
    const h = harness(() => fake());
    try {
      await h.client.request('test/log');
      for (let i = 0; i < 100 && !h.logs.some((l) => l.message.includes('failed in')); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const entry = h.logs.findIndex((l) => l.message.includes('Authorization'));
      assert.ok(entry >= 0, 'the entry arrived');
      assert.deepEqual(h.logs.slice(entry, entry + 4).map((l) => l.level), ['warn', 'warn', 'warn', 'debug']);
      assert.ok(h.logs[entry + 2].message.includes('at ModelIde.Core.Jobs.JobService.GetAsync()'));
      assert.ok(!h.logs.some((l) => l.message.includes('abcdefghijk') || l.message.includes('ms-abcdef1234567890')));
    } finally {
      h.client.dispose();
    }
  });

  it('gives up after five crashes within three minutes, with backoff between restarts (fake timers)', async () => {
    const scheduled: { ms: number; run: () => void }[] = [];
    let now = 1_000_000;
    const h = harness(() => fake('--exit-at-start'), {
      now: () => now,
      setTimer: (run, ms) => {
        scheduled.push({ ms, run });
        return scheduled.length;
      },
      clearTimer: () => undefined,
    });
    const firstAttempt = h.client.request('sidecar/ping');
    await assert.rejects(firstAttempt, /stopped unexpectedly \(exit code 3\)/);
    for (let crash = 1; crash < 5; crash++) {
      while (h.crashes.length < crash) {
        await new Promise((r) => setTimeout(r, 20));
      }
      now += 1000;
      const timer = scheduled.shift();
      assert.ok(timer, `a restart is scheduled after crash ${crash}`);
      timer.run();
    }
    await h.waitForState('failed');
    assert.deepEqual(
      h.crashes.map((c) => [c.willRestart, c.restartDelayMs]),
      [
        [true, 500],
        [true, 1000],
        [true, 2000],
        [true, 4000],
        [false, 0],
      ],
    );
    assert.equal(scheduled.length, 0, 'nothing is scheduled after giving up');
    await assert.rejects(h.client.request('sidecar/ping'), /crashing repeatedly/);
    assert.ok(h.logs.some((l) => l.level === 'error' && l.message.includes('cannot start: token=***')), 'stderr is logged, redacted');
    h.client.dispose();
  });
});

describe('SidecarClient against the real sidecar', () => {
  const available = fs.existsSync(realSidecarDll);
  it('restarts after SIGKILL and the next call succeeds', { skip: available ? false : `build it first: ./modelide --version (${realSidecarDll})` }, async () => {
    const h = harness(() => ({
      command: 'dotnet',
      args: [realSidecarDll, '--clientProcessId', String(process.pid), '--endpoint', 'http://127.0.0.1:9/'],
    }), { policy: new RestartPolicy({ maxCrashes: 5, windowMs: 180000, initialDelayMs: 50, maxDelayMs: 50 }) });
    try {
      const first = await h.client.request<PingResult>('sidecar/ping');
      assert.equal(first.processId, h.client.processId);
      process.kill(first.processId, 'SIGKILL');
      await h.waitForState('restarting');
      const second = await h.client.request<PingResult>('sidecar/ping');
      assert.notEqual(second.processId, first.processId);
      const echoed = await h.client.request<{ items: string[] }>('sidecar/echo', { items: ['a', 'b'] });
      assert.deepEqual(echoed.items, ['a', 'b']);
      assert.equal(h.crashes.length, 1);
      assert.deepEqual(h.starts, ['http://127.0.0.1:9/', 'http://127.0.0.1:9/'], 'initialize ran after start and restart');
    } finally {
      h.client.dispose();
    }
  });
});

describe('SidecarClient lifecycle', () => {
  it('fails in-flight requests with a "stopped" error on dispose and refuses new ones', async () => {
    const h = harness(() => fake());
    await h.client.request('sidecar/ping');
    const hanging = h.client.request('test/hang');
    await h.client.request('sidecar/ping');
    h.client.dispose();
    await assert.rejects(hanging, /was stopped \(restart or shutdown\)/);
    await assert.rejects(h.client.request('sidecar/ping'), /has been shut down/);
    assert.equal(h.crashes.length, 0, 'a requested stop is not a crash');
  });

  it('restart() replaces the process without counting a crash', async () => {
    const h = harness(() => fake());
    try {
      const first = await h.client.request<PingResult>('sidecar/ping');
      await h.client.restart();
      const second = await h.client.request<PingResult>('sidecar/ping');
      assert.notEqual(second.processId, first.processId);
      assert.equal(h.crashes.length, 0);
      assert.equal(h.starts.length, 2);
    } finally {
      h.client.dispose();
    }
  });
});
