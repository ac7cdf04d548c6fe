// Looking for secrets where they must not be: files (local, or a remote folder fetched with tar over SSH) and
// process command lines (sampled with `ps -eo args`, locally and on the SSH host). Findings name the place, the
// byte offset and which secret it was, never the value.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

/** The byte patterns to look for: each secret in UTF-8 and in UTF-16LE (how Chromium keeps some strings on disk). */
function patternsOf(secrets) {
  const patterns = [];
  for (const { name, value } of secrets) {
    if (typeof value !== 'string' || value.length < 8) throw new Error(`secret "${name}" is missing or too short to search for`);
    patterns.push({ name, encoding: 'utf-8', bytes: Buffer.from(value, 'utf8') });
    patterns.push({ name, encoding: 'utf-16le', bytes: Buffer.from(value, 'utf16le') });
  }
  return patterns;
}

/** Offsets of every pattern in `buffer` (`base` is added: the buffer's position in its file). */
function findIn(buffer, patterns, base = 0, from = 0) {
  const found = [];
  for (const p of patterns) {
    for (let i = buffer.indexOf(p.bytes, from); i >= 0; i = buffer.indexOf(p.bytes, i + 1)) {
      found.push({ name: p.name, encoding: p.encoding, offset: base + i });
    }
  }
  return found;
}

/** Scans one file in chunks that overlap by the longest pattern, so a secret across a chunk border is found too. */
function scanFile(file, patterns, chunkSize = 8 << 20) {
  const overlap = Math.max(...patterns.map(p => p.bytes.length)) - 1;
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(chunkSize + overlap);
    const found = [];
    let position = 0;
    let carried = 0;
    for (;;) {
      const read = fs.readSync(fd, buffer, carried, chunkSize, position);
      if (read === 0) break;
      const filled = carried + read;
      found.push(...findIn(buffer.subarray(0, filled), patterns, position - carried));
      position += read;
      carried = Math.min(overlap, filled);
      buffer.copy(buffer, 0, filled - carried, filled);
    }
    // The overlap makes a match near a border show up twice.
    const seen = new Set();
    return found.filter(f => { const k = `${f.name}@${f.offset}/${f.encoding}`; if (seen.has(k)) return false; seen.add(k); return true; });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Regular files under `root`, not following symbolic links. `since` (ms): only files created or changed since then.
 * `skip`: folders left out. Files that vanish while we look are ignored.
 */
function listFiles(root, { since, skip = [] } = {}) {
  const files = [];
  const walk = dir => {
    let entries;
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (skip.some(s => full === s || full.startsWith(s + path.sep))) continue;
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) {
        if (since !== undefined) {
          let st;
          try { st = fs.statSync(full); } catch { continue; }
          if (Math.max(st.mtimeMs, st.ctimeMs, st.birthtimeMs || 0) < since) continue;
        }
        files.push(full);
      }
    }
  };
  walk(root);
  return files;
}

/** Regular files of a tar stream (ustar, GNU long names): [{ name, data }]. */
function untar(buffer) {
  const entries = [];
  let longName;
  for (let at = 0; at + 512 <= buffer.length;) {
    const header = buffer.subarray(at, at + 512);
    if (header.every(b => b === 0)) break;
    const field = (start, length) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const data = buffer.subarray(at + 512, at + 512 + size);
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    if (type === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
    else if (type === '0' || type === '7') entries.push({ name, data });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** Runs a command and returns its stdout as a Buffer (rejects on a non-zero exit). */
function capture(command, args, timeoutMs = 120000) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', c => out.push(c));
    child.stderr.on('data', c => { err += c; });
    child.on('error', reject);
    child.on('close', code => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${command} exited with ${code}: ${err.slice(-500)}`));
    });
  });
}

/** SSH options for the test host (key, pinned known_hosts, no prompts) from the MODELIDE_SSH_* variables. */
function sshArgs(env = process.env) {
  return ['-p', env.MODELIDE_SSH_PORT, '-i', env.MODELIDE_SSH_KEY, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${env.MODELIDE_SSH_KNOWN_HOSTS}`, `${env.MODELIDE_SSH_USER}@${env.MODELIDE_SSH_HOST}`];
}

/** The files of a folder on the SSH host (relative to the remote user's home), fetched as one tar stream. */
async function remoteFiles(folder, env = process.env) {
  const tar = await capture('ssh', [...sshArgs(env), `if [ -d ${folder} ]; then tar -C ${folder} -cf - .; fi`]);
  return untar(tar);
}

/**
 * Samples `ps -eo args` about twice a second until stopped, locally or on the SSH host; keeps each distinct line
 * in memory only. `samples` counts complete snapshots.
 */
class CommandLineSampler {
  constructor(where, { remote = false, env = process.env } = {}) {
    this.where = where;
    this.lines = new Set();
    this.samples = 0;
    const loop = 'while :; do ps -eo args; echo @@sample@@; sleep 0.5; done';
    this.child = remote ? spawn('ssh', [...sshArgs(env), loop], { stdio: ['ignore', 'pipe', 'ignore'] })
      : spawn('sh', ['-c', loop], { stdio: ['ignore', 'pipe', 'ignore'] });
    let rest = '';
    this.child.stdout.on('data', chunk => {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop();
      for (const line of lines) {
        if (line === '@@sample@@') this.samples++;
        else this.lines.add(line);
      }
    });
  }

  /** Stops sampling (by the sampler's own process id) and returns the distinct command lines seen. */
  stop() {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return [...this.lines];
  }
}

/**
 * Is this file code-server's SecretStorage? In code-server (VS Code for the web) SecretStorage is the browser's
 * localStorage entry `secrets.provider` (Chromium: <profile>/Default/Local Storage/leveldb), sealed with AES-256-GCM
 * under a key split between the browser and <user-data-dir>/serve-web-key-half on the server.
 */
function isSecretStorage(file) {
  if (!file.includes(`${path.sep}Local Storage${path.sep}leveldb${path.sep}`)) return false;
  try {
    const data = fs.readFileSync(file);
    return data.includes(Buffer.from('secrets.provider', 'latin1')) || data.includes(Buffer.from('secrets.provider', 'utf16le'));
  } catch {
    return false;
  }
}

/** Files created or changed since `since` in the temp folders (/tmp, $TMPDIR), minus `skip`. */
function newTempFiles(since, skip = []) {
  const roots = [...new Set(['/tmp', process.env.TMPDIR, require('node:os').tmpdir()].filter(Boolean))];
  return roots.flatMap(root => listFiles(root, { since, skip }).map(file => ({ root, file })));
}

/** One sweep: scans files, fetched file contents and command lines; collects findings (never the values). */
class SecretSweep {
  constructor(secrets) {
    this.names = secrets.map(s => s.name);
    this.patterns = patternsOf(secrets);
    this.findings = [];
    /** Local path -> size, for every file scanned. */
    this.scanned = new Map();
    this.remote = 0;
    this.lines = 0;
  }

  files(where, files) {
    for (const file of files) {
      if (this.scanned.has(file)) continue;
      let hits;
      try {
        hits = scanFile(file, this.patterns);
        this.scanned.set(file, fs.statSync(file).size);
      } catch (e) {
        if (e.code === 'ENOENT') continue; // a temp file that went away while we looked
        throw e;
      }
      for (const h of hits) this.findings.push(`${where}: ${file} at byte ${h.offset}: the ${h.name} (${h.encoding})`);
    }
  }

  /** Contents fetched from elsewhere (a remote folder): [{ name, data }]. */
  contents(where, entries) {
    for (const { name, data } of entries) {
      this.remote++;
      for (const h of findIn(data, this.patterns)) this.findings.push(`${where}${name} at byte ${h.offset}: the ${h.name} (${h.encoding})`);
    }
  }

  commandLines(where, lines) {
    lines.forEach((line, i) => {
      this.lines++;
      for (const h of findIn(Buffer.from(line, 'utf8'), this.patterns)) {
        const program = path.basename(line.split(' ')[0]);
        const shown = findIn(Buffer.from(program, 'utf8'), this.patterns).length ? '?' : program;
        this.findings.push(`${where} command line #${i} (${shown}) at byte ${h.offset}: the ${h.name}`);
      }
    });
  }

  summary() {
    const mb = [...this.scanned.values()].reduce((a, b) => a + b, 0) / 1048576;
    return `secret sweep: ${this.names.length} secrets (${this.names.join(', ')}) in ${this.scanned.size} files (${mb.toFixed(0)} MB), ` +
      `${this.remote} remote files, ${this.lines} distinct command lines: ${this.findings.length} found`;
  }
}

/**
 * The part of a sweep every spec shares: SecretStorage holds the session sealed (no secret readable in it), then, with
 * the browser closed so its profile is flushed, the profile, code-server's user data and extensions, and every file
 * created in the temp folders since the workbench started (the hub's own data is the server's side). Returns the
 * sweep for the spec to add its own places to.
 */
async function sweepWorkbench(wb, secrets, assert) {
  const sealed = await wb.secretStorageValue();
  assert.ok(sealed && Buffer.from(sealed, 'base64').length >= 60, 'SecretStorage holds the session, sealed');
  assert.ok(!secrets.some(s => sealed.includes(s.value)), 'no secret readable in the SecretStorage value');
  await wb.closeBrowser();
  const sweep = new SecretSweep(secrets);
  sweep.files('browser profile', listFiles(wb.browserProfile));
  sweep.files('code-server user data', listFiles(wb.userData));
  sweep.files('extensions', listFiles(wb.extensionsDir));
  for (const { root, file } of newTempFiles(wb.startedAt, [require('node:path').join(wb.dir, 'hub')])) sweep.files(`new in ${root}`, [file]);
  return sweep;
}

module.exports = { sweepWorkbench, patternsOf, findIn, scanFile, listFiles, newTempFiles, isSecretStorage, untar, remoteFiles, sshArgs, CommandLineSampler, SecretSweep };
