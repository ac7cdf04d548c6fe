// Fine-tune form: collects the fields, asks the extension to preview or submit; shows errors and the command.
(function () {
  const vscode = acquireVsCodeApi();
  const form = document.getElementById('form');
  const submit = document.getElementById('submit');
  let previewed = '';
  const values = () => {
    const v = {};
    form.querySelectorAll('input[name], select[name]').forEach((el) => { v[el.name] = el.value; });
    return v;
  };
  const key = () => JSON.stringify(values());
  form.addEventListener('input', () => { submit.disabled = key() !== previewed; });
  document.getElementById('preview').addEventListener('click', () => vscode.postMessage({ type: 'preview', values: values() }));
  submit.addEventListener('click', () => { submit.disabled = true; vscode.postMessage({ type: 'submit', values: values() }); });
  document.getElementById('preset').addEventListener('change', (e) => vscode.postMessage({ type: 'preset', id: e.target.value }));
  document.getElementById('pick-identity').addEventListener('click', () => vscode.postMessage({ type: 'pickIdentityFile' }));
  document.getElementById('pick-gpus').addEventListener('click', () => vscode.postMessage({ type: 'pickGpus', values: values() }));
  const setValues = (given) => {
    Object.keys(given || {}).forEach((name) => {
      const el = form.querySelector('[name="' + CSS.escape(name) + '"]');
      if (el) { el.value = String(given[name]); }
    });
    submit.disabled = true;
  };
  // The values the form opened with (the model picked in the tree, a spec to prefill) come with the page.
  setValues(JSON.parse(document.getElementById('modelide-data').textContent).values);
  const showWarnings = (w) => { document.getElementById('warnings').textContent = (w || []).join('\n'); };
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || typeof m.type !== 'string') { return; }
    if (m.type === 'values') {
      setValues(m.values);
    } else if (m.type === 'validation') {
      form.querySelectorAll('.field-error').forEach((el) => { el.textContent = ''; });
      (m.fieldErrors || []).forEach((e) => {
        const el = document.getElementById('e-' + e.field);
        if (el) { el.textContent = e.message; }
      });
      document.getElementById('errors').textContent = (m.errors || []).join('\n');
      if (m.command) { document.getElementById('command').textContent = m.command + (m.script ? '\n\n' + m.script : ''); }
      showWarnings(m.warnings);
      const ok = !(m.fieldErrors || []).length && !(m.errors || []).length && !!m.command;
      previewed = ok ? key() : '';
      submit.disabled = !ok;
    } else if (m.type === 'warnings') {
      showWarnings(m.warnings);
    } else if (m.type === 'submitted') {
      document.getElementById('errors').textContent = '';
      submit.disabled = true;
    }
  });
})();
