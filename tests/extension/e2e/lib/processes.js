// Starting and stopping the processes a test needs. Everything is stopped by its own process id
// (the whole descendant tree, read from /proc), never by name.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');

function childrenOf(pid) {
  const kids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) comes after the parenthesised command name, which may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) kids.push(Number(entry));
    } catch { /* process ended while we looked */ }
  }
  return kids;
}

function descendantsOf(pid) {
  const all = [];
  const queue = [pid];
  while (queue.length) {
    const next = childrenOf(queue.shift());
    all.push(...next);
    queue.push(...next);
  }
  return all;
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Stops pid and every descendant: SIGTERM, then SIGKILL for whatever is left after a grace period. */
async function stopTree(pid, graceMs = 5000) {
  if (!pid || !alive(pid)) return;
  const tree = [pid, ...descendantsOf(pid)];
  for (const p of tree) { try { process.kill(p, 'SIGTERM'); } catch { /* gone */ } }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && tree.some(alive)) await new Promise(r => setTimeout(r, 100));
  // Children started after the first sweep (helpers respawning) are collected again.
  for (const p of [...tree, ...descendantsOf(pid)]) { if (alive(p)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } } }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/** Spawns a process with its output in a log file; resolves once `ready(text)` matches its output. */
function startLogged(command, args, { env, cwd, log, ready, timeoutMs = 120000 }) {
  const out = fs.openSync(log, 'a');
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  return new Promise((resolve, reject) => {
    // A process that never got ready is stopped here: the caller has no pid to stop it by.
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${command} not ready after ${timeoutMs} ms; see ${log}`)); }, timeoutMs);
    const onData = chunk => {
      fs.writeSync(out, chunk);
      if (seen !== null) {
        seen += chunk.toString();
        if (ready(seen)) { clearTimeout(timer); const text = seen; seen = null; resolve({ child, output: text }); }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', code => { clearTimeout(timer); if (seen !== null) reject(new Error(`${command} exited with ${code} before it was ready; see ${log}`)); });
  });
}

module.exports = { stopTree, freePort, startLogged, descendantsOf };
