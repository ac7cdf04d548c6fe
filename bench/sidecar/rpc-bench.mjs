// Sidecar benchmark: cold start to first answered RPC, round trips for a small call and a 1,000-item payload,
// and (when the hub is reachable) one page of 50 models through the sidecar. Each figure is printed beside a
// peer measured in the same run. Usage: node sidecar/rpc-bench.mjs [--json out.json]
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as rpc from 'vscode-jsonrpc/node.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const outArg = process.argv.indexOf('--json');
const outFile = outArg > 0 ? process.argv[outArg + 1] : join(root, 'bench', 'results', 'sidecar.json');
const hubUrl = process.env.MODELIDE_BENCH_HUB; // e.g. http://127.0.0.1:8765/

function sidecarCommand() {
  // modelide-sidecar, the host the VSIX ships: published by scripts/publish-sidecar.sh, else built by ./modelide.
  const published = join(root, '.build', 'sidecar', 'linux-x64', 'modelide-sidecar');
  if (existsSync(published)) return { cmd: published, args: [], kind: 'published (self-contained)' };
  return { cmd: 'dotnet', args: [join(root, '.build', 'cli', 'modelide-sidecar.dll')], kind: 'framework-dependent (.build/cli)' };
}

function connect(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  conn.listen();
  return { child, conn };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

async function timeCalls(conn, method, params, n) {
  for (let i = 0; i < Math.min(200, n); i++) await (params === undefined ? conn.sendRequest(method) : conn.sendRequest(method, params)); // warm-up (JIT, buffers)
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await (params === undefined ? conn.sendRequest(method) : conn.sendRequest(method, params));
    times.push(performance.now() - t);
  }
  return { p50: pct(times, 0.5), p95: pct(times, 0.95), p99: pct(times, 0.99) };
}

async function coldStart(cmd, args, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const { child, conn } = connect(cmd, args);
    await conn.sendRequest('sidecar/ping');
    times.push(performance.now() - t);
    conn.dispose(); child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  return median(times);
}

function processFloor(cmd, args, runs) {
  // Peer for cold start: the same executable printing its version and exiting (process start + runtime load).
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    spawnSync(cmd, [...args, '--version'], { stdio: 'ignore' });
    times.push(performance.now() - t);
  }
  return median(times);
}

const { cmd, args, kind } = sidecarCommand();
const serveArgs = [...args, ...(hubUrl ? ['--endpoint', hubUrl] : [])];
const runs = Number(process.env.MODELIDE_BENCH_RUNS ?? 7);
const results = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, sidecar: kind, figures: [] };
const add = (name, value, unit, peerName, peer, target) => results.figures.push({ name, value, unit, peer: peerName, peerValue: peer, ratio: peer ? value / peer : null, target });

const cold = await coldStart(cmd, serveArgs, runs);
const floor = processFloor(cmd, args, runs);
add('cold start to first answered RPC', cold, 'ms', 'same binary --version', floor, '< 300 ms');

const { child, conn } = connect(cmd, serveArgs);
const peer = connect(process.execPath, [join(here, 'raw-echo-server.mjs')]);
const items = Array.from({ length: 1000 }, (_, i) => `owner-${i % 37}/model-${i}-instruct-7b`);
const n = Number(process.env.MODELIDE_BENCH_CALLS ?? 2000);
const small = await timeCalls(conn, 'sidecar/ping', undefined, n);
const smallPeer = await timeCalls(peer.conn, 'sidecar/ping', undefined, n);
add('round trip, small call (p50)', small.p50, 'ms', 'raw Node echo', smallPeer.p50, '< 0.3 ms');
add('round trip, small call (p99)', small.p99, 'ms', 'raw Node echo', smallPeer.p99, null);
const big = await timeCalls(conn, 'sidecar/echo', { items }, Math.floor(n / 4));
const bigPeer = await timeCalls(peer.conn, 'sidecar/echo', { items }, Math.floor(n / 4));
add('round trip, 1,000-item page (p50)', big.p50, 'ms', 'raw Node echo', bigPeer.p50, '< 2 ms');
add('round trip, 1,000-item page (p99)', big.p99, 'ms', 'raw Node echo', bigPeer.p99, null);

if (hubUrl) {
  try {
    const params = { query: '', sort: 'downloads', pageNumber: 1, pageSize: 50 };
    const page = await timeCalls(conn, 'models/search', params, 200);
    const direct = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      const r = await fetch(new URL('openapi/v1/models?page_number=1&page_size=50&sort=downloads', hubUrl));
      await r.json();
      direct.push(performance.now() - t);
    }
    add('one page of 50 models via sidecar (p95)', page.p95, 'ms', 'direct HTTP fetch from Node', pct(direct, 0.95), '< 30 ms');
  } catch (e) {
    results.figures.push({ name: 'one page of 50 models via sidecar', error: String(e.message ?? e) });
  }
}

conn.dispose(); child.kill(); peer.conn.dispose(); peer.child.kill();
writeFileSync(outFile, JSON.stringify(results, null, 2));
console.log(`Sidecar (${kind}), ${results.machine.cpus} CPUs, Node ${results.machine.node}`);
console.log('| figure | ModelIde | peer | peer value | ratio | target |');
console.log('|---|---|---|---|---|---|');
for (const f of results.figures) {
  if (f.error) { console.log(`| ${f.name} | error: ${f.error} | | | | |`); continue; }
  console.log(`| ${f.name} | ${f.value.toFixed(3)} ${f.unit} | ${f.peer} | ${f.peerValue.toFixed(3)} ${f.unit} | ${f.ratio.toFixed(2)}× | ${f.target ?? ''} |`);
}
console.log(`results: ${outFile}`);
