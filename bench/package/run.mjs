// The shipped package measured in one run beside two peers: VSIX size for linux-x64, the sidecar folder on disk, and
// cold start to the first answered request of the shipped host (modelide-sidecar, trimmed), the same host untrimmed
// (before trimming) and `modelide serve` (before the sidecar stopped carrying the local hub: the CLI with ASP.NET Core,
// OpenIddict and EF Core), all self-contained and ReadyToRun, started in turns.
// Usage: node package/run.mjs --new DIR --untrimmed DIR --old DIR --new-vsix FILE --untrimmed-vsix FILE --old-vsix FILE [--json out.json]
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as rpc from 'vscode-jsonrpc/node.js';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const newDir = arg('--new');
const untrimmedDir = arg('--untrimmed');
const oldDir = arg('--old');
const runs = Number(process.env.MODELIDE_BENCH_RUNS ?? 7);
const mb = (bytes) => bytes / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const folderBytes = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => sum + (e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);

async function coldStart(exe, args) {
  const t = performance.now();
  const child = spawn(exe, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  conn.listen();
  await conn.sendRequest('sidecar/ping');
  const ms = performance.now() - t;
  conn.dispose();
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return ms;
}

const hosts = {
  new: { exe: join(newDir, 'modelide-sidecar'), args: [] },
  untrimmed: { exe: join(untrimmedDir, 'modelide-sidecar'), args: [] },
  old: { exe: join(oldDir, 'modelide'), args: ['serve'] },
};
for (const h of Object.values(hosts)) {
  const v = spawnSync(h.exe, ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`${h.exe} --version failed: ${v.stderr}`);
}
for (const h of Object.values(hosts)) await coldStart(h.exe, h.args); // first runs fill the disk cache for each
const times = { new: [], untrimmed: [], old: [] };
const orders = [['new', 'untrimmed', 'old'], ['old', 'new', 'untrimmed'], ['untrimmed', 'old', 'new']];
for (let i = 0; i < runs; i++) {
  for (const key of orders[i % orders.length]) {
    times[key].push(await coldStart(hosts[key].exe, hosts[key].args));
  }
}

const figures = [];
const add = (name, value, unit, peer, peerValue, target, met) => figures.push({ name, value, unit, peer, peerValue, ratio: value / peerValue, target, met });
const vsix = { new: statSync(arg('--new-vsix')).size, untrimmed: statSync(arg('--untrimmed-vsix')).size, old: statSync(arg('--old-vsix')).size };
const folder = { new: folderBytes(newDir), untrimmed: folderBytes(untrimmedDir), old: folderBytes(oldDir) };
const cold = { new: median(times.new), untrimmed: median(times.untrimmed), old: median(times.old) };
const hub = 'before: sidecar with the local hub';
const untrimmed = 'before: the same sidecar untrimmed';
add('VSIX size, linux-x64', mb(vsix.new), 'MB', hub, mb(vsix.old), '< 60 MB', mb(vsix.new) < 60);
add('VSIX size, linux-x64 (trimming)', mb(vsix.new), 'MB', untrimmed, mb(vsix.untrimmed), '', undefined);
add('sidecar folder on disk', mb(folder.new), 'MB', hub, mb(folder.old), '', undefined);
add('sidecar folder on disk (trimming)', mb(folder.new), 'MB', untrimmed, mb(folder.untrimmed), '', undefined);
const coldName = `sidecar cold start to first answered RPC (self-contained, median of ${runs})`;
add(coldName, cold.new, 'ms', 'before: `modelide serve`', cold.old, 'not slower', cold.new <= cold.old);
add(`${coldName} (trimming)`, cold.new, 'ms', untrimmed, cold.untrimmed, '', undefined);
for (const f of figures) {
  console.log(`${f.name}: ${f.value.toFixed(1)} ${f.unit} vs ${f.peer} ${f.peerValue.toFixed(1)} ${f.unit} (${f.ratio.toFixed(2)}×)`);
}
const out = arg('--json');
if (out) {
  writeFileSync(out, JSON.stringify({ machine: { cpus: cpus().length, node: process.version }, runs, coldStartMs: times, figures }, null, 2) + '\n');
}
