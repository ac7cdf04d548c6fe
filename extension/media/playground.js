// Playground: conversation, streamed tokens, stop, parameters. Text is set with textContent only.
(function () {
  const vscode = acquireVsCodeApi();
  const data = JSON.parse(document.getElementById('modelide-data').textContent);
  const labels = data.labels;
  const chat = document.getElementById('chat');
  const prompt = document.getElementById('prompt');
  const send = document.getElementById('send');
  const stop = document.getElementById('stop');
  const mode = document.getElementById('mode');
  let current = null;
  let loaded = false;

  function bubble(role, text) {
    const div = document.createElement('div');
    div.className = 'message ' + role;
    div.setAttribute('data-role', role);
    div.textContent = text;
    chat.appendChild(div);
    div.scrollIntoView({ block: 'end' });
    return div;
  }
  (data.history || []).forEach((m) => bubble(m.role === 'user' ? 'user' : 'assistant', m.content));

  function params() {
    const v = (id) => document.getElementById(id).value;
    return { maxNewTokens: v('maxNewTokens'), temperature: v('temperature'), topK: v('topK'), topP: v('topP'), repetitionPenalty: v('repetitionPenalty') };
  }
  function busy(on) { send.disabled = on || !loaded; stop.disabled = !on; }
  busy(false);

  function submit() {
    const text = prompt.value;
    if (!text.trim() || send.disabled) { return; }
    document.getElementById('error').textContent = '';
    if (mode.value === 'completion') {
      current = bubble('assistant', text);
      current.classList.add('completion');
    } else {
      bubble('user', text);
      current = bubble('assistant', '');
    }
    prompt.value = '';
    busy(true);
    vscode.postMessage({ type: 'send', text, mode: mode.value, params: params() });
  }
  send.addEventListener('click', submit);
  prompt.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { submit(); } });
  stop.addEventListener('click', () => vscode.postMessage({ type: 'stop' }));
  document.getElementById('clear').addEventListener('click', () => { chat.textContent = ''; vscode.postMessage({ type: 'clear' }); });

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || typeof m.type !== 'string') { return; }
    if (m.type === 'device') {
      document.getElementById('device').textContent = m.device + ' — ' + m.reason;
    } else if (m.type === 'loaded') {
      loaded = true;
      document.getElementById('device').textContent = m.device + ' — ' + m.reason;
      document.getElementById('model-file').textContent = m.file || '';
      // The inputs start from the model's own generation defaults.
      Object.entries(m.params || {}).forEach(([id, value]) => {
        const input = document.getElementById(id);
        if (input) { input.value = String(value); }
      });
      if (!m.isChatModel) { mode.value = 'completion'; }
      busy(false);
    } else if (m.type === 'token' && current) {
      current.textContent += m.text;
      current.scrollIntoView({ block: 'end' });
    } else if (m.type === 'done') {
      if (current && m.stopReason === 'cancelled') { current.textContent += ' ' + labels.stopped; }
      if (typeof m.tokensPerSecond === 'number') {
        document.getElementById('stats').textContent = labels.tokensPerSecond.replace('{0}', m.tokensPerSecond.toFixed(1)) + ' · ' + m.generatedTokens + ' · ' + m.stopReason;
      }
      current = null;
      busy(false);
    } else if (m.type === 'error') {
      document.getElementById('error').textContent = m.message;
      current = null;
      busy(false);
    }
  });
  // The panel answers with the header (device and file, or the load error) it may have posted before this listener existed.
  vscode.postMessage({ type: 'ready' });
})();
