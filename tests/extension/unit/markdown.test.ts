import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { renderMarkdown } from '../../../extension/src/models/markdown';

describe('renderMarkdown (model cards)', () => {
  it('escapes HTML instead of rendering it', () => {
    const html = renderMarkdown('Hello <script>alert(1)</script> & <img src=x onerror=alert(1)>');
    assert.ok(!html.includes('<script>'));
    assert.ok(!html.includes('<img'));
    assert.ok(html.includes('&lt;script&gt;'));
  });

  it('drops remote images but keeps their alt text', () => {
    const html = renderMarkdown('![diagram](https://example.com/x.png)');
    assert.equal(html, '<p>[diagram]</p>');
  });

  it('keeps http(s) links and drops javascript: links', () => {
    assert.equal(renderMarkdown('[docs](https://modelscope.cn/docs)'), '<p><a href="https://modelscope.cn/docs">docs</a></p>');
    assert.equal(renderMarkdown('[bad](javascript:alert(1))'), '<p>bad</p>');
  });

  it('renders headings, lists, code and skips YAML front matter', () => {
    const html = renderMarkdown('---\nlicense: mit\n---\n# Title\n- one\n- **two**\n\n```\nx < y\n```');
    assert.equal(html, '<h2>Title</h2>\n<ul>\n<li>one</li>\n<li><strong>two</strong></li>\n</ul>\n<pre><code>x &lt; y</code></pre>');
  });

  it('does not let an attribute break out of a link', () => {
    const html = renderMarkdown('[x](https://a.b/"onmouseover="alert(1))');
    assert.ok(!/href="[^"]*"onmouseover/.test(html));
  });
});
