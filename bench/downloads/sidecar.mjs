// Downloads through one long-running sidecar, as the VS Code extension makes them: start-up, JIT and the first
// connections are paid once per session, not per download. Starts the sidecar the way the extension does
// (`--clientProcessId PID --endpoint URL`, then sidecar/initialize and auth/activate with the hub's token), then reads
// one request per stdin line, `{"modelId": "...", "cacheDir": "..."}`, sends downloads/start and answers with one JSON
// line: wall seconds from the request to its answer, the sidecar's CPU seconds over that time (utime + stime deltas of
// /proc/PID/stat), its peak RSS so far, and the result. bench/downloads/run.sh drives it between the other tools'
// runs (interleaved) and sends an untimed warm-up download first.
// Usage: node downloads/sidecar.mjs --endpoint URL --token TOKEN [--sidecar FILE] (FILE: a modelide-sidecar executable
// or its .dll; default .build/cli/modelide-sidecar.dll, which `./modelide` builds with the CLI)
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as rpc from 'vscode-jsonrpc/node.js';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const endpoint = arg('--endpoint');
const token = arg('--token');
const sidecar = arg('--sidecar') ?? join(root, '.build', 'cli', 'modelide-sidecar.dll');
if (!endpoint || !token) throw new Error('usage: sidecar.mjs --endpoint URL --token TOKEN [--sidecar FILE]');

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
// Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15 of the whole line.
const cpuSeconds = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
};
const peakRssKb = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

const [command, args] = sidecar.endsWith('.dll') ? ['dotnet', [sidecar]] : [sidecar, []];
// The dotnet host runs the app in its own process, so the child's pid is the sidecar's.
const child = spawn(command, [...args, '--clientProcessId', String(process.pid), '--endpoint', endpoint, '--log-level', 'warn'], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const exited = new Promise((resolve) => child.once('exit', resolve));
const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
let progressNotes = 0;
conn.onNotification('downloads/progress', () => progressNotes++);
conn.listen();
const init = await conn.sendRequest('sidecar/initialize', { endpoint, logLevel: 'warn' });
await conn.sendRequest('auth/activate', { endpoint, accessToken: token });
const pid = init.processId;
if (pid !== child.pid) process.stderr.write(`sidecar.mjs: the sidecar reports pid ${pid}, spawned ${child.pid}; measuring ${pid}\n`);

const lines = createInterface({ input: process.stdin, terminal: false });
for await (const line of lines) {
  if (!line.trim()) continue;
  const { modelId, cacheDir } = JSON.parse(line);
  progressNotes = 0;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  let answer;
  try {
    const result = await conn.sendRequest('downloads/start', { downloadId: `bench-${Date.now()}`, modelId, cacheDir });
    answer = { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSeconds(pid) - cpu0, peakRssKb: peakRssKb(pid), files: result.files, bytes: result.bytes, progressNotifications: progressNotes };
  } catch (error) {
    answer = { error: String(error?.message ?? error) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}

conn.dispose();
child.stdin.end();
const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
child.kill('SIGTERM');
await exited;
clearTimeout(timer);
