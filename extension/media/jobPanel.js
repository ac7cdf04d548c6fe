// Job view: applies jobs/update messages; draws the loss curve as an inline SVG path (no libraries).
(function () {
  const vscode = acquireVsCodeApi();
  const data = JSON.parse(document.getElementById('modelide-data').textContent);
  const labels = data.labels;
  const points = [];
  let divergedAt;
  const logEl = document.getElementById('log');
  const maxLines = 2000;
  const SVG = 'http://www.w3.org/2000/svg';

  document.querySelectorAll('button[data-action]').forEach((b) =>
    b.addEventListener('click', () => vscode.postMessage({ type: b.getAttribute('data-action') })));

  function setJob(job) {
    // Unreachable host or Slurm controller: the state is the last one seen, not a failure; the sidecar retries.
    document.getElementById('job-state').textContent = job.state + (job.unreachable ? ' (' + labels.unreachable + ')' : '');
    document.getElementById('job-reason').textContent = [job.reason, job.unreachable].filter(Boolean).join('\n');
    document.getElementById('job-backend').textContent = job.backend + ' · ' + (job.remoteDir || '') +
      (job.gpuIndices ? ' · ' + labels.gpus + ' ' + (job.gpuIndices.length ? job.gpuIndices.join(',') : '-') : '');
    // A NaN/Infinity loss or gradient norm: said once, in words, with what to do (the chart marks the step).
    document.getElementById('job-divergence').textContent = job.divergence || '';
    divergedAt = typeof job.divergedAtStep === 'number' ? job.divergedAtStep : undefined;
    document.getElementById('job-warnings').textContent = (job.warnings || []).join('\n');
    document.getElementById('job-command').textContent = job.command || '';
    const active = job.state === 'pending' || job.state === 'running' || job.state === 'unknown';
    document.getElementById('cancel').disabled = !active;
    document.getElementById('resume').disabled = !(job.state === 'failed' || job.state === 'cancelled');
    document.getElementById('fetch').disabled = !(job.checkpoints && job.checkpoints.length);
    const p = job.progress;
    const percent = p ? Math.max(0, Math.min(100, p.percent)) : (job.state === 'completed' ? 100 : 0);
    document.getElementById('progress-bar').style.width = percent + '%';
    document.getElementById('progress-text').textContent = p
      ? `${percent.toFixed(1)}% · ${p.globalStep}/${p.maxSteps}` + (p.loss !== undefined ? ` · loss ${p.loss}` : '') +
        (p.elapsed ? ` · ${p.elapsed}` : '') + (p.remaining ? ` / ${p.remaining}` : '')
      : '';
    if (job.lastErrorLines && job.lastErrorLines.length && job.state === 'failed') {
      document.getElementById('job-reason').textContent = (job.reason || '') + '\n' + job.lastErrorLines.join('\n');
    }
  }

  function addLines(lines) {
    if (!lines || !lines.length) { return; }
    const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 4;
    logEl.textContent += (logEl.textContent ? '\n' : '') + lines.join('\n');
    const all = logEl.textContent.split('\n');
    if (all.length > maxLines) { logEl.textContent = all.slice(all.length - maxLines).join('\n'); }
    if (atBottom) { logEl.scrollTop = logEl.scrollHeight; }
  }

  function draw() {
    const svg = document.getElementById('chart');
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    const pts = points.filter((p) => typeof p.loss === 'number' && isFinite(p.loss));
    const evals = points.filter((p) => typeof p.evalLoss === 'number' && isFinite(p.evalLoss));
    const text = (x, y, s, anchor) => {
      const t = document.createElementNS(SVG, 'text');
      t.setAttribute('x', x); t.setAttribute('y', y); t.setAttribute('text-anchor', anchor || 'start');
      t.textContent = s; svg.appendChild(t);
    };
    if (pts.length === 0 && evals.length === 0) { text(400, 110, labels.noPoints, 'middle'); return; }
    const W = 800, H = 220, L = 40, R = 10, T = 10, B = 20;
    const all = points.map((p) => p.step);
    const minX = Math.min(...all), maxX = Math.max(Math.max(...all), minX + 1);
    const ys = pts.map((p) => p.loss).concat(evals.map((p) => p.evalLoss));
    let minY = Math.min(...ys), maxY = Math.max(...ys);
    if (maxY === minY) { maxY += 1; minY -= 1; }
    const x = (s) => L + ((s - minX) / (maxX - minX)) * (W - L - R);
    const y = (v) => T + (1 - (v - minY) / (maxY - minY)) * (H - T - B);
    const d = pts.map((p, i) => (i ? 'L' : 'M') + x(p.step).toFixed(1) + ' ' + y(p.loss).toFixed(1)).join(' ');
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    path.setAttribute('id', 'loss-path');
    svg.appendChild(path);
    if (evals.length) {
      const e = document.createElementNS(SVG, 'path');
      e.setAttribute('d', evals.map((p, i) => (i ? 'L' : 'M') + x(p.step).toFixed(1) + ' ' + y(p.evalLoss).toFixed(1)).join(' '));
      e.setAttribute('id', 'eval-path');
      e.setAttribute('stroke-dasharray', '4 3');
      svg.appendChild(e);
      text(W - R, T + 22, labels.evalLoss + ' ' + evals[evals.length - 1].evalLoss.toFixed(4), 'end');
    }
    // Steps whose values were NaN/Infinity have no point: a red line marks where training diverged.
    const bad = points.filter((p) => p.nonFinite).map((p) => p.step);
    const at = divergedAt !== undefined ? divergedAt : bad[0];
    if (at !== undefined) {
      const line = document.createElementNS(SVG, 'line');
      line.setAttribute('x1', x(at)); line.setAttribute('x2', x(at)); line.setAttribute('y1', T); line.setAttribute('y2', H - B);
      line.setAttribute('id', 'divergence-marker');
      line.setAttribute('stroke', 'var(--vscode-errorForeground)');
      svg.appendChild(line);
      text(x(at) + 4, H - B - 4, labels.diverged.replace('{0}', at));
    }
    text(2, T + 8, maxY.toFixed(3)); text(2, H - B, minY.toFixed(3));
    text(L, H - 4, labels.step + ' ' + minX); text(W - R, H - 4, labels.step + ' ' + maxX, 'end');
    if (pts.length) { text(W - R, T + 8, labels.loss + ' ' + pts[pts.length - 1].loss.toFixed(4), 'end'); }
  }

  function addPoints(newPoints) {
    (newPoints || []).forEach((p) => {
      // Train and eval rows can share a step: one point of each kind per step.
      const isEval = (q) => typeof q.evalLoss === 'number' || (q.nonFinite || '').indexOf('eval_loss') >= 0;
      if (p && typeof p.step === 'number' && !points.some((q) => q.step === p.step && isEval(q) === isEval(p))) { points.push(p); }
    });
    points.sort((a, b) => a.step - b.step);
    draw();
  }

  setJob(data.job);
  addLines(data.lines);
  draw();
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || m.type !== 'update' || !m.job) { return; }
    setJob(m.job);
    addLines(m.newLogLines);
    addPoints(m.newPoints);
  });
})();
