// The generated contract (extension/src/sidecar/protocol.generated.ts) is whole: every method is documented, every
// type a record names exists. That it matches backend/ModelIde.Protocol is checked by the build (scripts/protocol.sh
// --check) and, through both serializers, by the integration tier's round-trip test.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as contract from '../../../extension/src/sidecar/protocol.generated';
import { generatedMethods, shapeProblems } from '../contract';
import { repoRoot } from '../paths';

describe('generated protocol', () => {
  it('documents every method in docs/protocol.md, and documents no other', () => {
    const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'protocol.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `([a-z]+\/[A-Za-z]+)` \|/gm)].map((m) => m[1]));
    const generated = new Set(generatedMethods().map((m) => m.method));
    assert.ok(generated.size >= 30, `${generated.size} methods`);
    assert.deepEqual([...documented].filter((m) => !generated.has(m)).sort(), [], 'documented but not in the contract');
    assert.deepEqual([...generated].filter((m) => !documented.has(m)).sort(), [], 'in the contract but not documented');
  });

  it('names only types it defines', () => {
    const known = new Set(['string', 'number', 'boolean', 'unknown', ...Object.keys(contract.protocolShapes), ...Object.keys(contract.protocolEnums)]);
    for (const [type, fields] of Object.entries(contract.protocolShapes)) {
      for (const [field, shape] of Object.entries(fields)) {
        const element = shape.replace(/\?$/, '').replace(/^Record<string, (.*)>$/, '$1').replace(/(\[\])+$/, '');
        assert.ok(known.has(element), `${type}.${field}: ${shape}`);
      }
    }
  });

  it('finds what is wrong with a message', () => {
    const ok = { downloadId: 'd', bytesDone: 1, bytesTotal: 2, filesDone: 0, filesTotal: 1, bytesPerSecond: 0.5 };
    assert.deepEqual(shapeProblems(ok, 'DownloadsProgressParams', 'p'), []);
    assert.deepEqual(shapeProblems({ ...ok, etaSeconds: '3' }, 'DownloadsProgressParams', 'p'), ['p.etaSeconds: "3" is not a number']);
    assert.deepEqual(shapeProblems({ ...ok, speed: 1 }, 'DownloadsProgressParams', 'p'), ['p.speed: not a member of DownloadsProgressParams']);
    assert.deepEqual(shapeProblems({ id: 'j' }, 'JobIdParams', 'p'), ['p.id: not a member of JobIdParams', 'p.jobId: missing (string)']);
    assert.deepEqual(shapeProblems({ role: 'tool', content: '' }, 'ChatMessage', 'm'), ['m.role: "tool" is not a ChatRole (system, user, assistant)']);
  });

  it('sends requests with one params object or none, and error codes in the server range or JSON-RPC\'s own', () => {
    assert.ok(generatedMethods().every((m) => m.numberOfParams <= 1));
    for (const [name, code] of Object.entries(contract.RpcErrorCodes)) {
      assert.ok((code >= -32099 && code <= -32000) || [-32700, -32600, -32602, -32800].includes(code), `${name} = ${code}`);
    }
  });
});
