import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { describeProgress, formatBytes, formatDuration, progressIncrement } from '../../../extension/src/common/format';
import { contentSecurityPolicy, jsonForScript } from '../../../extension/src/common/html';

describe('format', () => {
  it('formats sizes', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GB');
    assert.equal(formatBytes(undefined), '?');
  });
  it('formats durations', () => {
    assert.equal(formatDuration(17), '0:17');
    assert.equal(formatDuration(3725), '1:02:05');
  });
  it('describes download progress with bytes, speed and ETA', () => {
    const text = describeProgress({ bytesDone: 12 * 1024 ** 2, bytesTotal: 100 * 1024 ** 2, filesDone: 1, filesTotal: 3, bytesPerSecond: 5 * 1024 ** 2, etaSeconds: 18 });
    assert.equal(text, '12.0 MB / 100 MB · 5.0 MB/s · ETA 0:18 · 1/3 files');
  });
  it('reports progress increments that never go backwards', () => {
    assert.deepEqual(progressIncrement({ bytesDone: 50, bytesTotal: 200, filesDone: 0, filesTotal: 1, bytesPerSecond: 1 }, 10), { percent: 25, increment: 15 });
    assert.equal(progressIncrement({ bytesDone: 10, bytesTotal: 200, filesDone: 0, filesTotal: 1, bytesPerSecond: 1 }, 25).increment, 0);
  });
});

describe('webview html', () => {
  it('builds the strict CSP', () => {
    assert.equal(
      contentSecurityPolicy('vscode-resource:', 'N0NCE'),
      "default-src 'none'; script-src 'nonce-N0NCE'; style-src vscode-resource: 'nonce-N0NCE'; img-src vscode-resource: data:; font-src vscode-resource:",
    );
  });
  it('embeds data so that it cannot close the script tag', () => {
    assert.ok(!jsonForScript({ a: '</script><script>alert(1)</script>' }).includes('</script>'));
  });
});
