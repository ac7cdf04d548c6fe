// A small, safe Markdown renderer for model cards: everything is escaped first; only headings, paragraphs,
// lists, code, emphasis, tables-as-text and http(s) links are produced. Images become their alt text
// (no remote content in webviews). Hand-written scanners instead of backtracking regexes, so the time is linear
// in the card's length (a card of 400 KB of '[' took 93 s with the regexes, on the extension host). No `vscode` import.
import { escapeHtml } from '../common/html';

/** Characters the scanners visited: the fuzz test checks it grows linearly with the input. */
export interface RenderStats {
  steps: number;
}

export function renderMarkdown(markdown: string): string {
  return renderMarkdownWithStats(markdown).html;
}

export function renderMarkdownWithStats(markdown: string): { html: string; steps: number } {
  const stats: RenderStats = { steps: 0 };
  // U+0000 marks code spans below; in input it becomes U+FFFD as CommonMark asks.
  const lines = markdown.replace(/\u0000/g, '\uFFFD').replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: 'ul' | 'ol' | undefined;
  let code: string[] | undefined;
  let frontMatter = lines[0]?.trim() === '---';

  const flushParagraph = () => {
    if (paragraph.length) {
      out.push(`<p>${inline(paragraph.join(' '), stats)}</p>`);
      paragraph = [];
    }
  };
  const closeList = () => {
    if (list) {
      out.push(`</${list}>`);
      list = undefined;
    }
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    stats.steps += line.length + 1;
    if (frontMatter) {
      if (i > 0 && line.trim() === '---') {
        frontMatter = false;
      }
      continue;
    }
    const start = skipSpaces(line, 0);
    const fence = line.startsWith('```', start);
    if (code) {
      if (fence) {
        out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
        code = undefined;
      } else {
        code.push(line);
      }
      continue;
    }
    if (fence) {
      flushParagraph();
      closeList();
      code = [];
      continue;
    }
    if (isHtmlCommentLine(line, start) || isHtmlTagLine(line, start)) {
      continue; // raw HTML lines are dropped, not rendered
    }
    const heading = headingOf(line);
    if (heading) {
      flushParagraph();
      closeList();
      out.push(`<h${heading.level}>${inline(heading.text, stats)}</h${heading.level}>`);
      continue;
    }
    const item = listItemOf(line, start);
    if (item) {
      flushParagraph();
      if (list !== item.kind) {
        closeList();
        out.push(`<${item.kind}>`);
        list = item.kind;
      }
      out.push(`<li>${inline(item.text, stats)}</li>`);
      continue;
    }
    if (start === line.length) {
      flushParagraph();
      closeList();
      continue;
    }
    if (isTableSeparator(line, start)) {
      continue;
    }
    closeList();
    paragraph.push(line.trim());
  }
  if (code) {
    out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
  }
  flushParagraph();
  closeList();
  return { html: out.join('\n'), steps: stats.steps };
}

// --- line kinds (each a single left-to-right pass over the line) ---

/** JavaScript's `\s`. */
function isSpace(c: number): boolean {
  return (
    c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** Characters `.` does not match. */
function isLineBreak(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}

function skipSpaces(s: string, from: number): number {
  let i = from;
  while (i < s.length && isSpace(s.charCodeAt(i))) {
    i++;
  }
  return i;
}

/** End of the text once trailing spaces are cut. */
function trimmedEnd(s: string): number {
  let e = s.length;
  while (e > 0 && isSpace(s.charCodeAt(e - 1))) {
    e--;
  }
  return e;
}

function hasLineBreak(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (isLineBreak(s.charCodeAt(i))) {
      return true;
    }
  }
  return false;
}

/** `<!-- ... -->` alone on its line. */
function isHtmlCommentLine(line: string, start: number): boolean {
  if (!line.startsWith('<!--', start)) {
    return false;
  }
  const end = trimmedEnd(line);
  return end - 3 >= start + 4 && line.startsWith('-->', end - 3) && !hasLineBreak(line, start + 4, end - 3);
}

/** `<tag ...>` or `</tag>` alone on its line. */
function isHtmlTagLine(line: string, start: number): boolean {
  if (line.charCodeAt(start) !== 0x3c /* < */) {
    return false;
  }
  let i = start + 1;
  if (line.charCodeAt(i) === 0x2f /* / */) {
    i++;
  }
  const c = line.charCodeAt(i);
  if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) {
    return false;
  }
  const close = line.indexOf('>', i + 1);
  return close >= 0 && skipSpaces(line, close + 1) === line.length;
}

/** `#`..`######`, spaces, text. The heading level is one lower than in the card (the page has its own h1). */
function headingOf(line: string): { level: number; text: string } | undefined {
  let hashes = 0;
  while (hashes < line.length && line.charCodeAt(hashes) === 0x23 /* # */) {
    hashes++;
  }
  if (hashes < 1 || hashes > 6 || hashes === line.length || !isSpace(line.charCodeAt(hashes))) {
    return undefined;
  }
  const textStart = skipSpaces(line, hashes);
  if (hasLineBreak(line, textStart, line.length)) {
    return undefined;
  }
  return { level: Math.min(hashes + 1, 6), text: line.slice(textStart) };
}

/** `- item`, `* item`, `+ item`, `1. item`, `1) item`. */
function listItemOf(line: string, start: number): { kind: 'ul' | 'ol'; text: string } | undefined {
  let i = start;
  let kind: 'ul' | 'ol';
  const c = line.charCodeAt(i);
  if (c === 0x2d || c === 0x2a || c === 0x2b /* - * + */) {
    kind = 'ul';
    i++;
  } else {
    while (i < line.length && line.charCodeAt(i) >= 0x30 && line.charCodeAt(i) <= 0x39) {
      i++;
    }
    const mark = line.charCodeAt(i);
    if (i === start || (mark !== 0x2e && mark !== 0x29) /* . ) */) {
      return undefined;
    }
    kind = 'ol';
    i++;
  }
  if (i >= line.length || !isSpace(line.charCodeAt(i))) {
    return undefined;
  }
  const textStart = skipSpaces(line, i);
  return hasLineBreak(line, textStart, line.length) ? undefined : { kind, text: line.slice(textStart) };
}

/** `---`, `|---`, `| :---` ...: table separator rows are dropped. */
function isTableSeparator(line: string, start: number): boolean {
  let i = start;
  if (line.charCodeAt(i) === 0x7c /* | */) {
    i++;
  }
  i = skipSpaces(line, i);
  if (line.charCodeAt(i) === 0x3a /* : */) {
    i++;
  }
  return line.startsWith('---', i);
}

// --- inline: code spans, images, links, strong, emphasis; each a pass over the previous one's output ---

function inline(text: string, stats: RenderStats): string {
  const codes: string[] = [];
  let s = codeSpans(escapeHtml(text), codes, stats);
  s = images(s, stats);
  s = links(s, stats);
  s = strong(s, stats);
  s = emphasis(s, stats);
  return restoreCodeSpans(s, codes, stats);
}

/** For each position, the index of the next `ch` at or after it (-1: none). One pass from the end. */
function nextIndex(s: string, ch: number): Int32Array {
  const next = new Int32Array(s.length + 2).fill(-1);
  for (let i = s.length - 1; i >= 0; i--) {
    next[i] = s.charCodeAt(i) === ch ? i : next[i + 1];
  }
  return next;
}

/** `` `code` `` becomes a \u0000N\u0000 placeholder so later passes leave its text alone. */
function codeSpans(s: string, codes: string[], stats: RenderStats): string {
  const parts: string[] = [];
  let copied = 0;
  let i = s.indexOf('`');
  while (i >= 0) {
    const close = s.indexOf('`', i + 1);
    stats.steps += (close < 0 ? s.length : close) - i;
    if (close < 0) {
      break;
    }
    if (close === i + 1) {
      i = close; // "``": the second backtick may open a span
      continue;
    }
    parts.push(s.slice(copied, i), `\u0000${codes.length}\u0000`);
    codes.push(`<code>${s.slice(i + 1, close)}</code>`);
    copied = close + 1;
    i = s.indexOf('`', copied);
  }
  parts.push(s.slice(copied));
  return parts.join('');
}

/** `![alt](anything)` becomes `[alt]` (or nothing without alt): no remote images. */
function images(s: string, stats: RenderStats): string {
  const bracket = nextIndex(s, 0x5d /* ] */);
  const paren = nextIndex(s, 0x29 /* ) */);
  stats.steps += 2 * s.length;
  const parts: string[] = [];
  let copied = 0;
  for (let i = 0; i < s.length; i++) {
    stats.steps++;
    if (s.charCodeAt(i) !== 0x21 /* ! */ || s.charCodeAt(i + 1) !== 0x5b /* [ */) {
      continue;
    }
    const altEnd = bracket[i + 2];
    if (altEnd < 0 || s.charCodeAt(altEnd + 1) !== 0x28 /* ( */) {
      continue;
    }
    const end = paren[altEnd + 2];
    if (end < 0) {
      continue;
    }
    const alt = s.slice(i + 2, altEnd);
    parts.push(s.slice(copied, i), alt ? `[${alt}]` : '');
    copied = end + 1;
    i = end;
  }
  parts.push(s.slice(copied));
  return parts.join('');
}

function isParen(c: number): boolean {
  return c === 0x28 || c === 0x29;
}

/**
 * `[label](href "title")`: an http(s) href becomes a link, anything else leaves the label. The href is a run of
 * non-space, non-paren characters and balanced `(...)` groups without spaces or parens inside.
 */
function links(s: string, stats: RenderStats): string {
  const bracket = nextIndex(s, 0x5d /* ] */);
  const paren = nextIndex(s, 0x29 /* ) */);
  stats.steps += 2 * s.length;
  const parts: string[] = [];
  let copied = 0;
  for (let i = 0; i < s.length; i++) {
    stats.steps++;
    if (s.charCodeAt(i) !== 0x5b /* [ */) {
      continue;
    }
    const labelEnd = bracket[i + 1];
    if (labelEnd <= i + 1 || s.charCodeAt(labelEnd + 1) !== 0x28 /* ( */) {
      continue;
    }
    const hrefStart = labelEnd + 2;
    let q = hrefStart;
    while (q < s.length) {
      stats.steps++;
      const c = s.charCodeAt(q);
      if (c === 0x28 /* ( */) {
        let r = q + 1;
        while (r < s.length && !isParen(s.charCodeAt(r)) && !isSpace(s.charCodeAt(r))) {
          r++;
        }
        stats.steps += r - q;
        if (s.charCodeAt(r) !== 0x29 /* ) */) {
          break;
        }
        q = r + 1;
        continue;
      }
      if (c === 0x29 || isSpace(c)) {
        break;
      }
      q++;
    }
    if (q === hrefStart) {
      continue;
    }
    let end = -1;
    if (s.charCodeAt(q) === 0x29) {
      end = q;
    } else if (isSpace(s.charCodeAt(q))) {
      end = paren[q + 1]; // a title or anything else up to the next ')'
    }
    if (end < 0) {
      continue;
    }
    const label = s.slice(i + 1, labelEnd);
    const href = s.slice(hrefStart, q);
    parts.push(s.slice(copied, i), /^https?:\/\//i.test(href) ? `<a href="${href}">${label}</a>` : label);
    copied = end + 1;
    i = end;
  }
  parts.push(s.slice(copied));
  return parts.join('');
}

/** `**text**` without a `*` inside. */
function strong(s: string, stats: RenderStats): string {
  const star = nextIndex(s, 0x2a /* * */);
  stats.steps += s.length;
  const parts: string[] = [];
  let copied = 0;
  for (let i = 0; i < s.length; i++) {
    stats.steps++;
    if (s.charCodeAt(i) !== 0x2a || s.charCodeAt(i + 1) !== 0x2a) {
      continue;
    }
    const close = star[i + 2];
    if (close <= i + 2 || s.charCodeAt(close + 1) !== 0x2a) {
      continue;
    }
    parts.push(s.slice(copied, i), `<strong>${s.slice(i + 2, close)}</strong>`);
    copied = close + 2;
    i = close + 1;
  }
  parts.push(s.slice(copied));
  return parts.join('');
}

/** `*text*` without a `*` inside, at the start or after a character that is not `*`. */
function emphasis(s: string, stats: RenderStats): string {
  const star = nextIndex(s, 0x2a /* * */);
  stats.steps += s.length;
  const parts: string[] = [];
  let copied = 0;
  for (let i = 0; i < s.length; i++) {
    stats.steps++;
    let open: number;
    if (i === 0 && s.charCodeAt(0) === 0x2a) {
      open = 0;
    } else if (s.charCodeAt(i) !== 0x2a && s.charCodeAt(i + 1) === 0x2a) {
      open = i + 1;
    } else {
      continue;
    }
    const close = star[open + 1];
    if (close <= open + 1) {
      continue;
    }
    parts.push(s.slice(copied, open), `<em>${s.slice(open + 1, close)}</em>`);
    copied = close + 1;
    i = close;
  }
  parts.push(s.slice(copied));
  return parts.join('');
}

function restoreCodeSpans(s: string, codes: string[], stats: RenderStats): string {
  if (codes.length === 0) {
    return s;
  }
  stats.steps += s.length;
  return s.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => codes[Number(i)]);
}
