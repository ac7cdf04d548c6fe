// Every user-visible string has a Simplified Chinese translation.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { extensionRoot } from '../paths';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(extensionRoot, file), 'utf8')) as Record<string, unknown>;
const placeholders = (s: string) => (s.match(/\{\d+\}/g) ?? []).sort();

/** The first argument of every vscode.l10n.t call; non-literal arguments are reported as errors. */
function l10nStrings(): { strings: Set<string>; nonLiteral: string[] } {
  const strings = new Set<string>();
  const nonLiteral: string[] = [];
  for (const file of sourceFiles(path.join(extensionRoot, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    const calls = text.matchAll(/l10n\.t\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^'"\s][^,)]*)/g);
    for (const call of calls) {
      const arg = call[1];
      if (arg.startsWith("'") || arg.startsWith('"')) {
        strings.add(arg.startsWith('"') ? JSON.parse(arg) : JSON.parse('"' + arg.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"') + '"'));
      } else {
        nonLiteral.push(`${path.relative(extensionRoot, file)}: l10n.t(${arg}`);
      }
    }
  }
  return { strings, nonLiteral };
}

describe('localisation', () => {
  it('calls l10n.t only with string literals, so every string can be checked', () => {
    assert.deepEqual(l10nStrings().nonLiteral, []);
  });

  it('has a zh-cn bundle entry, with the same placeholders, for every l10n.t string', () => {
    const bundle = readJson('l10n/bundle.l10n.zh-cn.json');
    const { strings } = l10nStrings();
    assert.ok(strings.size > 50, 'the scan finds the strings');
    const missing = [...strings].filter((s) => typeof bundle[s] !== 'string' || !(bundle[s] as string).trim());
    assert.deepEqual(missing, []);
    const badPlaceholders = [...strings].filter((s) => JSON.stringify(placeholders(s)) !== JSON.stringify(placeholders(bundle[s] as string)));
    assert.deepEqual(badPlaceholders, []);
    const stale = Object.keys(bundle).filter((k) => !strings.has(k));
    assert.deepEqual(stale, [], 'bundle entries nobody uses');
  });

  it('defines every %key% of package.json in package.nls.json', () => {
    const pkgText = fs.readFileSync(path.join(extensionRoot, 'package.json'), 'utf8');
    const nls = readJson('package.nls.json');
    const keys = [...pkgText.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]);
    assert.ok(keys.length > 30);
    assert.deepEqual(keys.filter((k) => !(k in nls)), []);
  });

  it('translates every key of package.nls.json into zh-cn', () => {
    const nls = readJson('package.nls.json');
    const zh = readJson('package.nls.zh-cn.json');
    assert.deepEqual(Object.keys(nls).filter((k) => typeof zh[k] !== 'string' || !(zh[k] as string).trim()), []);
    assert.deepEqual(Object.keys(zh).filter((k) => !(k in nls)), []);
    // Command links in welcome texts and walkthroughs must survive translation.
    for (const key of Object.keys(nls)) {
      const links = (s: string) => (s.match(/\(command:[^)]+\)/g) ?? []).sort();
      assert.deepEqual(links(zh[key] as string), links(nls[key] as string), key);
    }
  });
});
