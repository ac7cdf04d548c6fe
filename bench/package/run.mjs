// The shipped package before and after the sidecar stopped carrying the local hub, measured in one run: VSIX size for
// linux-x64, the sidecar folder on disk, and cold start to the first answered request of the new host
// (modelide-sidecar) beside the old one (`modelide serve`: the CLI with ASP.NET Core, OpenIddict and EF Core), both
// self-contained and published with the same options, started in turns.
// Usage: node package/run.mjs --new DIR --old DIR --new-vsix FILE --old-vsix FILE [--json out.json]
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
  old: { exe: join(oldDir, 'modelide'), args: ['serve'] },
};
for (const h of Object.values(hosts)) {
  const v = spawnSync(h.exe, ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`${h.exe} --version failed: ${v.stderr}`);
}
await coldStart(hosts.new.exe, hosts.new.args); // first runs fill the disk cache for both
await coldStart(hosts.old.exe, hosts.old.args);
const times = { new: [], old: [] };
for (let i = 0; i < runs; i++) {
  for (const key of i % 2 ? ['old', 'new'] : ['new', 'old']) {
    times[key].push(await coldStart(hosts[key].exe, hosts[key].args));
  }
}

const figures = [];
const add = (name, value, unit, peer, peerValue, target, met) => figures.push({ name, value, unit, peer, peerValue, ratio: value / peerValue, target, met });
const newVsix = statSync(arg('--new-vsix')).size;
const oldVsix = statSync(arg('--old-vsix')).size;
add('VSIX size, linux-x64', mb(newVsix), 'MB', 'before: sidecar with the local hub', mb(oldVsix), '< 60 MB', mb(newVsix) < 60);
add('sidecar folder on disk', mb(folderBytes(newDir)), 'MB', 'before: sidecar with the local hub', mb(folderBytes(oldDir)), '', undefined);
const coldNew = median(times.new);
const coldOld = median(times.old);
add(`sidecar cold start to first answered RPC (self-contained, median of ${runs})`, coldNew, 'ms', 'before: `modelide serve`', coldOld, 'not slower', coldNew <= coldOld);
for (const f of figures) {
  console.log(`${f.name}: ${f.value.toFixed(1)} ${f.unit} vs ${f.peer} ${f.peerValue.toFixed(1)} ${f.unit} (${f.ratio.toFixed(2)}×)`);
}
const out = arg('--json');
if (out) {
  writeFileSync(out, JSON.stringify({ machine: { cpus: cpus().length, node: process.version }, runs, coldStartMs: times, figures }, null, 2) + '\n');
}
