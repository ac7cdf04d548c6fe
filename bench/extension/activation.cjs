// Extension activation time as VS Code itself measures it ("Developer: Show Running Extensions"), in real
// code-server with the packaged VSIX, beside the built-in extensions activated in the same window as peers.
// Usage: node bench/extension/activation.cjs [--runs N] [--json FILE]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Workbench } = require('../../tests/extension/e2e/lib/workbench.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const runs = Number(opt('--runs', process.env.MODELIDE_BENCH_RUNS || 3));
const jsonOut = opt('--json', undefined);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };

/** One fresh code-server: returns [{ id, name, ms, startup }] for every activated extension. */
async function measureOnce(run) {
  const wb = new Workbench(`activation-${run}`);
  try {
    await wb.start();
    await wb.page.setViewportSize({ width: 1400, height: 2400 }); // every row of the (virtualised) list rendered
    // Activation events fire after startup; wait until ModelScope's entry answers in the running list.
    const deadline = Date.now() + 60000;
    for (;;) {
      await wb.runCommand('Developer: Show Running Extensions');
      const rows = wb.page.locator('.runtime-extensions-editor .monaco-list-row');
      await rows.first().waitFor({ state: 'visible', timeout: 30000 });
      const found = await rows.evaluateAll((els) => els.map((el) => ({
        id: el.getAttribute('aria-label') || '',
        name: el.querySelector('.name')?.textContent || '',
        time: el.querySelector('.activation-time')?.textContent || '',
      })));
      const parsed = found.map((r) => {
        const m = /(Startup )?Activation: ([\d.]+)ms/.exec(r.time);
        return m ? { id: r.id, name: r.name, ms: Number(m[2]), startup: !!m[1] } : undefined;
      }).filter(Boolean);
      if (parsed.some((r) => r.id === 'modelide') || Date.now() > deadline) {
        await wb.screenshot('running-extensions');
        return parsed;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await wb.stop();
  }
}

(async () => {
  const ours = [];
  const peersMedian = [];
  const git = [];
  for (let run = 1; run <= runs; run++) {
    const rows = await measureOnce(run);
    const mine = rows.find((r) => r.id === 'modelide');
    if (!mine) throw new Error('ModelScope did not show up as activated in Developer: Show Running Extensions');
    const peers = rows.filter((r) => r.id !== 'modelide');
    ours.push(mine.ms);
    peersMedian.push(median(peers.map((r) => r.ms)));
    const g = peers.find((r) => r.id === 'git');
    if (g) git.push(g.ms);
    console.log(`run ${run}: ModelScope ${mine.ms} ms; ${peers.length} built-in peers ${peers.map((r) => `${r.name} ${r.ms}`).join(', ')}`);
  }
  const result = {
    machine: { cpus: require('node:os').cpus().length, loadavg: require('node:os').loadavg() },
    source: 'VS Code "Developer: Show Running Extensions" (code-server, packaged VSIX)',
    runs,
    modelideMs: median(ours),
    builtInMedianMs: median(peersMedian),
    gitMs: git.length ? median(git) : null,
  };
  result.ratioToBuiltInMedian = result.modelideMs / result.builtInMedianMs;
  result.ratioToGit = result.gitMs ? result.modelideMs / result.gitMs : null;
  console.log('| figure | ModelIde | peer | ratio |');
  console.log('|---|---|---|---|');
  console.log(`| extension activation (median of ${runs}) | ${result.modelideMs} ms | built-in extensions' median ${result.builtInMedianMs} ms | ${result.ratioToBuiltInMedian.toFixed(2)}x |`);
  if (result.gitMs) console.log(`| extension activation vs built-in Git | ${result.modelideMs} ms | ${result.gitMs} ms | ${result.ratioToGit.toFixed(2)}x |`);
  if (jsonOut) { fs.mkdirSync(path.dirname(jsonOut), { recursive: true }); fs.writeFileSync(jsonOut, JSON.stringify(result, null, 2)); }
})().catch((e) => { console.error(e); process.exit(1); });
