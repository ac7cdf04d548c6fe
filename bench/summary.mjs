// One table from every bench/results/*.json: each figure beside its peer from the same run, the ratio and the target.
// Usage: node bench/summary.mjs [--markdown FILE]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const results = join(dirname(fileURLToPath(import.meta.url)), 'results');
const read = (name) => (existsSync(join(results, name)) ? JSON.parse(readFileSync(join(results, name), 'utf8')) : undefined);
const rows = [];
const fmt = (v, digits = 1) => (typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : String(v ?? ''));
const add = (area, figure, value, peer, peerValue, ratio, target, met) =>
  rows.push({ area, figure, value, peer, peerValue, ratio: typeof ratio === 'number' ? `${ratio.toFixed(2)}×` : '', target: target ?? '', met: met === undefined ? '' : met ? 'yes' : 'NO' });

const sidecar = read('sidecar.json');
for (const f of sidecar?.figures ?? []) {
  if (f.error) { add('sidecar', f.name, `error: ${f.error}`, '', '', undefined, '', false); continue; }
  const limit = /<\s*([\d.]+)/.exec(f.target ?? '');
  add('sidecar', f.name, `${fmt(f.value, 2)} ${f.unit}`, f.peer, `${fmt(f.peerValue, 2)} ${f.unit}`, f.ratio, f.target, limit ? f.value < Number(limit[1]) : undefined);
}

const pkg = read('package.json');
for (const f of pkg?.figures ?? []) {
  add('package', f.name, `${fmt(f.value, 1)} ${f.unit}`, f.peer, `${fmt(f.peerValue, 1)} ${f.unit}`, f.ratio, f.target, f.met ?? undefined);
}

const ext = read('extension.json');
if (ext) {
  add('extension', `activation (median of ${ext.runs}, VS Code's own figure)`, `${ext.modelideMs} ms`, "built-in extensions' median", `${ext.builtInMedianMs} ms`, ext.ratioToBuiltInMedian, '', undefined);
  if (ext.gitMs) add('extension', 'activation vs the built-in Git extension', `${ext.modelideMs} ms`, 'Git', `${ext.gitMs} ms`, ext.ratioToGit, '', undefined);
}

const dl = read('downloads.json');
if (dl) {
  const row = (c, t) => dl.rows.find((r) => r.case === c && r.tool === t);
  const s = dl.summary;
  const big = row('big', 'modelide');
  if (big) {
    const gib = (dl.bigBytes / 2 ** 30).toFixed(dl.bigBytes >= 2 ** 30 ? 0 : 2);
    const bestPeer = [row('big', 'curl'), row('big', 'aria2')].sort((a, b) => b.MBps - a.MBps)[0];
    add('downloads', `one ${gib} GiB file`, `${fmt(big.MBps, 0)} MB/s`, bestPeer.tool === 'aria2' ? 'aria2c -x8 -s8' : 'curl', `${fmt(bestPeer.MBps, 0)} MB/s`, s.big_vs_best_peer, '≥ 0.9× best peer', s.big_vs_best_peer >= 0.9);
    add('downloads', `one ${gib} GiB file, SHA-256 verified`, `${fmt(big.MBps, 0)} MB/s`, 'curl + openssl sha256', `${fmt(row('big', 'curlsha').MBps, 0)} MB/s`, s.big_vs_curl_plus_sha256, '≥ 1.0×', s.big_vs_curl_plus_sha256 >= 1.0);
    const ariaSha = row('big', 'aria2sha');
    if (ariaSha) add('downloads', `one ${gib} GiB file vs aria2c -x8 -s8 checking its SHA-256`, `${fmt(big.MBps, 0)} MB/s, ${fmt(big.cpuSeconds, 2)} CPU s`, 'aria2c --checksum=sha-256', `${fmt(ariaSha.MBps, 0)} MB/s, ${fmt(ariaSha.cpuSeconds, 2)} CPU s`, s.big_vs_aria2_sha256, '', undefined);
    const bigBare = row('big', 'nosha');
    if (bigBare) add('downloads', `one ${gib} GiB file, the hub listing no SHA-256 (size checked only, as curl does): what verifying costs`, `${fmt(bigBare.MBps, 0)} MB/s, ${fmt(bigBare.cpuSeconds, 2)} CPU s`, 'curl', `${fmt(row('big', 'curl').MBps, 0)} MB/s, ${fmt(row('big', 'curl').cpuSeconds, 2)} CPU s`, s.big_without_sha256_vs_curl, '', undefined);
    add('downloads', 'CPU seconds per GB, big file', `${fmt(big.cpuSecondsPerGB, 2)} s`, 'curl + openssl sha256', `${fmt(row('big', 'curlsha').cpuSecondsPerGB, 2)} s`, s.big_cpu_vs_curl_plus_sha256, '≤ 1.3×', s.big_cpu_vs_curl_plus_sha256 <= 1.3);
    add('downloads', 'CPU seconds, big file', `${fmt(big.cpuSeconds, 2)} s`, 'curl / aria2c', `${fmt(row('big', 'curl').cpuSeconds, 2)} / ${fmt(row('big', 'aria2').cpuSeconds, 2)} s`, undefined, '', undefined);
    const warm = row('big', 'sidecar');
    if (warm) add('downloads', `one ${gib} GiB file through a running sidecar (the extension)`, `${fmt(warm.MBps, 0)} MB/s`, `${bestPeer.tool === 'aria2' ? 'aria2c -x8 -s8' : 'curl'} / curl + openssl sha256`, `${fmt(bestPeer.MBps, 0)} / ${fmt(row('big', 'curlsha').MBps, 0)} MB/s`, s.big_warm_vs_best_peer, '', undefined);
  }
  const many = row('many', 'modelide');
  if (many) {
    add('downloads', `200-file folder (${fmt(dl.manyBytes / 1e6, 0)} MB)`, `${fmt(many.MBps, 0)} MB/s`, 'curl, one file after another', `${fmt(row('many', 'curl').MBps, 0)} MB/s`, s.many_vs_curl, '≥ 1.5× curl', s.many_vs_curl >= 1.5);
    add('downloads', '200-file folder vs aria2c -j8', `${fmt(many.MBps, 0)} MB/s`, 'aria2c -j8', `${fmt(row('many', 'aria2').MBps, 0)} MB/s`, s.many_vs_aria2, '≥ 1.0×', s.many_vs_aria2 >= 1.0);
    const verifying = row('many', 'aria2sha');
    if (verifying) add('downloads', "200-file folder vs aria2c -j8 checking each file's SHA-256, as ModelIde does", `${fmt(many.MBps, 0)} MB/s`, 'aria2c -j8 --checksum=sha-256', `${fmt(verifying.MBps, 0)} MB/s`, s.many_vs_aria2_sha256, '', undefined);
    const bare = row('many', 'nosha');
    if (bare) add('downloads', '200-file folder, the hub listing no SHA-256 (sizes checked only, as aria2c -j8 does): what verifying costs', `${fmt(bare.MBps, 0)} MB/s, ${fmt(bare.cpuSeconds, 2)} CPU s`, 'aria2c -j8', `${fmt(row('many', 'aria2').MBps, 0)} MB/s, ${fmt(row('many', 'aria2').cpuSeconds, 2)} CPU s`, s.many_without_sha256_vs_aria2, '', undefined);
    const throughHub = row('many', 'aria2api');
    if (throughHub) add('downloads', "200-file folder vs aria2c -j8 handed the hub's file URLs (it follows each redirect, as ModelIde must)", `${fmt(many.MBps, 0)} MB/s`, 'aria2c -j8, file URLs', `${fmt(throughHub.MBps, 0)} MB/s`, s.many_vs_aria2_through_hub, '', undefined);
    const aria = row('many', 'aria2');
    if (many.hubCpuSeconds !== undefined && aria.hubCpuSeconds !== undefined) {
      add('downloads', `CPU seconds, 200-file folder, client + hub (on ${s.cores} cores they share the machine)`, `${fmt(many.cpuSeconds, 2)} + ${fmt(many.hubCpuSeconds, 2)} s`, 'aria2c -j8 + hub', `${fmt(aria.cpuSeconds, 2)} + ${fmt(aria.hubCpuSeconds, 2)} s`, s.many_machine_cpu_vs_aria2, '', undefined);
    }
    const dotnetBuild = row('many', 'dotnet');
    if (dotnetBuild && s.cli_build === 'native') add('downloads', '200-file folder, the .NET (JIT) build of the CLI instead of the native one', `${fmt(dotnetBuild.MBps, 0)} MB/s, ${fmt(dotnetBuild.cpuSeconds, 2)} CPU s`, 'aria2c -j8', `${fmt(row('many', 'aria2').MBps, 0)} MB/s, ${fmt(row('many', 'aria2').cpuSeconds, 2)} CPU s`, s.many_dotnet_build_vs_aria2, '', undefined);
    const warm = row('many', 'sidecar');
    if (warm) {
      add('downloads', '200-file folder through a running sidecar (the extension) vs aria2c -j8', `${fmt(warm.MBps, 0)} MB/s`, 'aria2c -j8', `${fmt(row('many', 'aria2').MBps, 0)} MB/s`, s.many_warm_vs_aria2, '≥ 1.0×', s.many_warm_vs_aria2 >= 1.0);
      const first = row('many', 'sidecar_first');
      if (first) add('downloads', "200-file folder, the sidecar's first download of it (one sample)", `${fmt(first.MBps, 0)} MB/s`, 'aria2c -j8', `${fmt(row('many', 'aria2').MBps, 0)} MB/s`, s.many_first_in_sidecar_vs_aria2, '', undefined);
      add('downloads', 'CPU seconds, 200-file folder: sidecar / whole process', `${fmt(warm.cpuSeconds, 2)} / ${fmt(many.cpuSeconds, 2)} s`, 'aria2c -j8', `${fmt(row('many', 'aria2').cpuSeconds, 2)} s`, s.many_warm_cpu_vs_aria2, '', undefined);
    }
    const lat = row('manylat', 'modelide');
    if (lat) add('downloads', `200-file folder, ${s.many_latency_ms_per_request} ms added to every request`, `${fmt(lat.MBps, 0)} MB/s`, 'aria2c -j8 (handed the blob URLs)', `${fmt(row('manylat', 'aria2').MBps, 0)} MB/s`, s.many_latency_vs_aria2, '', undefined);
    const latWarm = row('manylat', 'sidecar');
    if (latWarm) add('downloads', `same, through a running sidecar`, `${fmt(latWarm.MBps, 0)} MB/s`, 'aria2c -j8 (handed the blob URLs)', `${fmt(row('manylat', 'aria2').MBps, 0)} MB/s`, s.many_latency_warm_vs_aria2, '', undefined);
  }
  const throttled = row('throttled', 'modelide');
  if (throttled) {
    const per = `${fmt(s.throttled_bytes_per_second_per_connection / 1e6, 0)} MB/s per connection`;
    add('downloads', `${fmt(dl.throttledBytes / 2 ** 20, 0)} MiB file, hub at ${per}`, `${fmt(throttled.MBps, 0)} MB/s`, 'ModelIde on one connection', `${fmt(row('throttled', 'single').MBps, 0)} MB/s`, s.throttled_parallel_vs_single, '≥ 3×', s.throttled_parallel_vs_single >= 3);
    add('downloads', `same, vs aria2c -x8 -s8 / curl`, `${fmt(throttled.MBps, 0)} MB/s`, 'aria2c -x8 -s8 / curl', `${fmt(row('throttled', 'aria2').MBps, 0)} / ${fmt(row('throttled', 'curl').MBps, 0)} MB/s`, throttled.MBps / row('throttled', 'aria2').MBps, '', undefined);
  }
  if (s.modelide_peak_rss_MB !== undefined) {
    add('downloads', 'peak RSS (big file / folder)', `${fmt(big?.peakRssMB, 0)} / ${fmt(many?.peakRssMB, 0)} MB`, 'curl / aria2c (big file)', `${fmt(row('big', 'curl')?.peakRssMB, 0)} / ${fmt(row('big', 'aria2')?.peakRssMB, 0)} MB`, undefined, '< 150 MB', s.modelide_peak_rss_MB < 150);
  }
  if (s.refetched_bytes_after_kill !== undefined) {
    add('downloads', `bytes fetched twice after SIGKILL at ${fmt(s.kill_at_percent, 0)}%`, `${fmt(s.refetched_bytes_after_kill, 0)} B`, 'one part', `${fmt(s.part_bytes, 0)} B`, s.refetched_bytes_after_kill / s.part_bytes, '≤ 1 part', s.refetched_bytes_after_kill <= s.part_bytes && s.file_intact_after_kill_and_resume);
  }
  if (s.load_average_1min_before_after) {
    add('downloads', 'load average (1 min) before / after each part', Object.entries(s.load_average_1min_before_after).map(([k, v]) => `${k} ${v.join('/')}`).join(', '), '', '', undefined, '', undefined);
  }
}

const inf = read('inference.json');
for (const [name, m] of Object.entries(inf?.models ?? {})) {
  const cs = m.csharp;
  const peers = [m.node, m.genai].filter(Boolean);
  const label = `${name} (${fmt(m.parameters / 1e6, 1)} M params)`;
  const peerNames = peers.map((p) => p.runtime.replace(/ \(.*\)$/, '')).join(' / ');
  // Each figure against the best peer of the same run (onnxruntime-node and ONNX Runtime GenAI on the same file).
  const vsBest = (figure, key, unit, digits, higherIsBetter, target) => {
    if (peers.length === 0) return;
    const best = higherIsBetter ? Math.max(...peers.map((p) => p[key])) : Math.min(...peers.map((p) => p[key]));
    const met = higherIsBetter ? cs[key] >= best : cs[key] <= best;
    add('inference', `${label}: ${figure}`, `${fmt(cs[key], digits)} ${unit}`, peerNames, peers.map((p) => fmt(p[key], digits)).join(' / ') + ` ${unit}`,
      cs[key] / best, target, target ? met : undefined);
  };
  vsBest('decode', 'decodeTokensPerSecond', 'tok/s', 1, true, '≥ 1.0× best peer');
  vsBest('prompt processing, long prompt', 'prefillLongPromptTokensPerSecond', 'tok/s', 0, true, '≥ 1.0× best peer');
  vsBest('prompt processing, reference prompts', 'prefillTokensPerSecond', 'tok/s', 0, true, '');
  vsBest('time to first token', 'timeToFirstTokenMs', 'ms', 1, false, '');
  if (m.memory) {
    const mib = (b) => `${fmt(b / 1048576, 0)} MiB`;
    add('inference', `${label}: peak RSS of modelide infer while generating`, mib(m.memory.modelideInferPeakRssBytes), 'onnxruntime-node worker',
      m.memory.nodeWorkerPeakRssBytes ? mib(m.memory.nodeWorkerPeakRssBytes) : '', m.memory.nodeWorkerPeakRssBytes ? m.memory.modelideInferPeakRssBytes / m.memory.nodeWorkerPeakRssBytes : undefined, '', undefined);
    if (m.memory.sidecarPeakRssBytes) {
      add('inference', `${label}: peak RSS of the sidecar while generating (the playground's process)`, mib(m.memory.sidecarPeakRssBytes), 'onnxruntime-node worker',
        m.memory.nodeWorkerPeakRssBytes ? mib(m.memory.nodeWorkerPeakRssBytes) : '', m.memory.nodeWorkerPeakRssBytes ? m.memory.sidecarPeakRssBytes / m.memory.nodeWorkerPeakRssBytes : undefined, '', undefined);
    }
  }
  add('inference', `${label}: share of step time in Run()`, `${fmt(cs.runShare * 100, 1)} %`, m.node?.runtime ?? '', m.node ? `${fmt(m.node.runShare * 100, 1)} %` : '', undefined, '≥ 95 %', cs.runShare >= 0.95);
  add('inference', `${label}: managed bytes per token`, `${fmt(cs.managedBytesPerTokenWholeGeneration, 0)} B`, '', '', undefined, '< 4 KB', cs.managedBytesPerTokenWholeGeneration < 4096);
}

// Recorded on a GPU machine by bench/gpu/device-check.sh (not measured by this run: the bench machines have no GPU);
// each GPU figure beside the CPU and a plain ONNX Runtime CUDA loop from the same GPU run.
const gpu = read('gpu.json');
for (const [name, m] of Object.entries(gpu?.models ?? {})) {
  const tag = `${name}, recorded ${gpu.recorded.split(',')[0]} on an NVIDIA H200`;
  add('gpu', `${tag}: decode on the GPU vs the CPU, same model`, `${fmt(m.gpu.decodeTokensPerSecond, 1)} tok/s`, 'ModelIde on 16 CPU cores',
    `${fmt(m.cpu.decodeTokensPerSecond, 1)} tok/s`, m.gpu.decodeTokensPerSecond / m.cpu.decodeTokensPerSecond, '', undefined);
  add('gpu', `${tag}: decode on the GPU vs a plain CUDA loop`, `${fmt(m.gpu.decodeTokensPerSecond, 1)} tok/s`, 'plain ONNX Runtime CUDA loop',
    `${fmt(m.plainCuda.decodeTokensPerSecond, 1)} tok/s`, m.gpu.decodeTokensPerSecond / m.plainCuda.decodeTokensPerSecond, '≥ 1.0× plain loop', m.gpu.decodeTokensPerSecond >= m.plainCuda.decodeTokensPerSecond);
  add('gpu', `${tag}: time to first token on the GPU (ModelIde sets CUDA up at load, the plain loop in its first step)`, `${fmt(m.gpu.firstTokenMs, 1)} ms`, 'plain ONNX Runtime CUDA loop',
    `${fmt(m.plainCuda.firstTokenMs, 1)} ms`, m.gpu.firstTokenMs / m.plainCuda.firstTokenMs, '', undefined);
}

const machine = `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}, load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const lines = [
  '| area | figure | ModelIde | peer | peer value | ratio | target | met |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.area} | ${r.figure} | ${r.value} | ${r.peer} | ${r.peerValue} | ${r.ratio} | ${r.target} | ${r.met} |`),
];
console.log(lines.join('\n'));
console.log(`\nmachine: ${machine}`);
const i = process.argv.indexOf('--markdown');
if (i > 0) writeFileSync(process.argv[i + 1], `${lines.join('\n')}\n\nMachine: ${machine}.\n`);
