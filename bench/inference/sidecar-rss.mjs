// The sidecar's own peak resident memory while it generates, as the playground makes it generate: starts the shipped
// sidecar (or the one given) the way the extension does, then for each model in bench/results/inference.json sends
// inference/load and inference/generate (the same first reference prompt, token count, CPU and threads as the
// `modelide infer` row) and polls /proc/PID/status VmHWM every 5 ms. A fresh sidecar per model, so each figure is that
// model's alone. Writes memory.sidecarPeakRssBytes (and memory.sidecar) into the results file.
// Usage: node inference/sidecar-rss.mjs [--sidecar FILE] [--results FILE]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as rpc from 'vscode-jsonrpc/node.js';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shipped = join(root, '.build', 'sidecar', 'linux-x64', 'modelide-sidecar');
const sidecar = arg('--sidecar') ?? (existsSync(shipped) ? shipped : join(root, '.build', 'cli', 'modelide-sidecar.dll'));
const resultsFile = arg('--results') ?? join(root, 'bench', 'results', 'inference.json');
const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
const reference = JSON.parse(readFileSync(join(root, 'models', 'tiny-stdlib-coder', 'reference.json'), 'utf8'));
const prompt = reference.generation[0].prompt;
const threads = Number(/--threads (\d+)/.exec(Object.values(results.models)[0]?.memory?.modelideInferCommand ?? '')?.[1] ?? 2);
const vmHwm = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

for (const [name, model] of Object.entries(results.models)) {
  const [command, args] = sidecar.endsWith('.dll') ? ['dotnet', [sidecar]] : [sidecar, []];
  const child = spawn(command, [...args, '--clientProcessId', String(process.pid), '--log-level', 'warn'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  conn.onNotification('inference/token', () => {});
  conn.listen();
  const init = await conn.sendRequest('sidecar/initialize', { logLevel: 'warn' });
  const pid = init.processId;
  let peak = vmHwm(pid);
  const poll = setInterval(() => { try { peak = Math.max(peak, vmHwm(pid)); } catch { /* exited */ } }, 5);
  const modelDir = join(root, model.directory);
  const loaded = await conn.sendRequest('inference/load', { modelDir, policy: 'preferCpu', threads });
  const generated = await conn.sendRequest('inference/generate', {
    sessionId: loaded.sessionId, generationId: `rss-${name}`, prompt, maxNewTokens: model.newTokens, temperature: 0,
  });
  peak = Math.max(peak, vmHwm(pid));
  clearInterval(poll);
  await conn.sendRequest('inference/unload', { sessionId: loaded.sessionId });
  conn.dispose();
  child.stdin.end();
  child.kill();
  model.memory = { ...model.memory, sidecarPeakRssBytes: peak, sidecar: relative(root, sidecar), sidecarGeneratedTokens: generated.generatedTokens };
  console.log(`${name}: sidecar peak RSS ${(peak / 1048576).toFixed(0)} MiB while generating ${generated.generatedTokens} tokens (${relative(root, sidecar)})`);
}
writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
