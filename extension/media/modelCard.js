// Model card: buttons post a message; the extension validates it.
(function () {
  const vscode = acquireVsCodeApi();
  document.querySelectorAll('button[data-action]').forEach((button) => {
    button.addEventListener('click', () => vscode.postMessage({ type: button.getAttribute('data-action') }));
  });
  // Links open outside the webview (the host handles http(s) navigation).
})();
