import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { renderMarkdown, renderMarkdownWithStats } from '../../../extension/src/models/markdown';
import { renderMarkdownWithRegexes } from './fixtures/markdownRegexOracle';

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

  it('turns a NUL in the card into U+FFFD instead of a code-span placeholder', () => {
    assert.equal(renderMarkdown('a\u00000\u0000b `c`'), '<p>a\uFFFD0\uFFFDb <code>c</code></p>');
  });
});

// Seeded fuzzing, like the .NET fuzz tests: MODELIDE_FUZZ_SEED / MODELIDE_FUZZ_CASES reproduce or go longer.
const seed = Number(process.env.MODELIDE_FUZZ_SEED ?? 19);
const cases = Number(process.env.MODELIDE_FUZZ_CASES ?? 5000);

function random(seedValue: number): () => number {
  let state = seedValue >>> 0 || 1;
  return () => {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

// Pieces that steer the renderer: brackets, parens, stars, backticks, spaces of several kinds, line starts, links.
const pieces = [
  '[', ']', '(', ')', '!', '*', '**', '`', '``', ' ', '  ', '\t', '\n', '\n\n', '\u00a0', '\u2028', '#', '# ', '- ', '1. ', '2) ',
  '|', ':', '---', '```', '<', '>', '</', '<!--', '-->', '<div>', '&', '"', "'", 'a', 'b', 'x y', '0', '9', 'https://', 'http://',
  'javascript:', '.', '/', '\r\n', 'ж', '模型', '](', '](https://e.x/p', '[l](https://e.x/(v)) ', '![i](u)', '(a)', ' "t")', '`c`',
];

function soup(next: () => number, length: number, alphabet: readonly string[]): string {
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const p = alphabet[Math.floor(next() * alphabet.length)];
    parts.push(p);
    size += p.length;
  }
  return parts.join('');
}

describe('renderMarkdown fuzz (issue 19 case 4: hostile model cards)', () => {
  it(`gives the same HTML as the regex renderer on ${cases} random small cards`, () => {
    const next = random(seed);
    let links = 0;
    let differences = 0;
    for (let i = 0; i < cases; i++) {
      const card = soup(next, 1 + Math.floor(next() * 80), pieces);
      const expected = renderMarkdownWithRegexes(card);
      const actual = renderMarkdown(card);
      if (actual !== expected) {
        differences++;
        assert.equal(actual, expected, `card ${JSON.stringify(card)} (seed ${seed}, case ${i})`);
      }
      links += actual.includes('<a href=') ? 1 : 0;
      assert.ok(!/<(?!\/?(?:p|h[2-6]|ul|ol|li|pre|code|strong|em|a)[ >])/.test(actual), `unexpected tag in ${JSON.stringify(actual)}`);
    }
    console.log(`markdown fuzz: ${cases} cards equal to the regex renderer (seed ${seed}), ${links} with a link, ${differences} different`);
  });

  it('works in time linear in the card: steps per character stay bounded and 8x the input is about 8x the work', () => {
    const next = random(seed + 1);
    // The old quadratic shapes, plus random soups of the characters that open and close constructs.
    const shapes: Array<(n: number) => string> = [
      (n) => '['.repeat(n),
      (n) => '!['.repeat(n / 2),
      (n) => '[a]('.repeat(n / 4),
      (n) => '[a](b '.repeat(n / 6),
      (n) => '[x](' + '[a]()'.repeat(n / 5),
      (n) => '`'.repeat(n),
      (n) => '*'.repeat(n),
      (n) => '**a'.repeat(n / 3),
      (n) => ' '.repeat(n) + 'x',
      (n) => '# ' + ' '.repeat(n) + '\u2028x',
      (n) => '<!--' + '-->'.repeat(n / 3) + 'x',
      (n) => soup(next, n, ['[', ']', '(', ')', '!', ' ']),
      (n) => soup(next, n, ['[', ']', '(', ')', '*', '`', 'a', ' ', '\n']),
      (n) => soup(next, n, pieces),
    ];
    const small = 10_000;
    const large = 8 * small;
    let worst = 0;
    for (const shape of shapes) {
      const a = shape(small);
      const b = shape(large);
      const stepsA = renderMarkdownWithStats(a).steps;
      const stepsB = renderMarkdownWithStats(b).steps;
      const perChar = Math.max(stepsA / a.length, stepsB / b.length);
      worst = Math.max(worst, perChar);
      assert.ok(perChar < 40, `${JSON.stringify(a.slice(0, 20))}...: ${perChar.toFixed(1)} steps per character`);
      const ratio = stepsB / stepsA / (b.length / a.length);
      assert.ok(ratio < 1.5, `${JSON.stringify(a.slice(0, 20))}...: 8x the input took ${(ratio * 8).toFixed(1)}x the steps`);
    }
    console.log(`markdown fuzz: ${shapes.length} shapes at ${small} and ${large} characters, at most ${worst.toFixed(1)} steps per character`);
  });

  it('renders a card of 400 KB of "[" (93 s with the regexes) as plain text', () => {
    const card = '['.repeat(400 * 1024);
    const { html, steps } = renderMarkdownWithStats(card);
    assert.equal(html, `<p>${card}</p>`);
    assert.ok(steps < 40 * card.length);
  });
});
