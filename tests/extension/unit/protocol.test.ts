// The TypeScript protocol constants agree with docs/protocol.md and the C# contract.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AuthMethods } from '../../../extension/src/auth/protocol';
import { DownloadMethods } from '../../../extension/src/downloads/protocol';
import { GitMethods } from '../../../extension/src/git/protocol';
import { InferenceMethods } from '../../../extension/src/inference/protocol';
import { JobMethods } from '../../../extension/src/jobs/protocol';
import { ModelMethods } from '../../../extension/src/models/protocol';
import { RpcErrorCodes, SidecarMethods } from '../../../extension/src/sidecar/protocol';
import { repoRoot } from '../paths';

const tsMethods = new Set<string>(
  [SidecarMethods, AuthMethods, ModelMethods, DownloadMethods, GitMethods, JobMethods, InferenceMethods].flatMap((m) => Object.values(m)),
);

describe('protocol', () => {
  it('knows every method of docs/protocol.md and no other', () => {
    const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'protocol.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/`((?:sidecar|auth|models|downloads|git|jobs|inference)\/[A-Za-z]+)/g)].map((m) => m[1]));
    assert.deepEqual([...documented].filter((m) => !tsMethods.has(m)).sort(), [], 'documented but missing in TypeScript');
    assert.deepEqual([...tsMethods].filter((m) => !documented.has(m)).sort(), [], 'in TypeScript but not documented');
  });

  it('knows every method constant of the C# protocol files', () => {
    const dir = path.join(repoRoot, 'backend', 'ModelIde.Protocol');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('Protocol.cs'));
    assert.ok(files.includes('SidecarProtocol.cs'));
    const csharp = files.flatMap((f) =>
      [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/const string \w+ = "([a-z]+\/[A-Za-z]+)"/g)].map((m) => m[1]),
    );
    assert.ok(csharp.length >= 4);
    assert.deepEqual(csharp.filter((m) => !tsMethods.has(m)), []);
  });

  it('uses the error codes of RpcErrorCodes in SidecarProtocol.cs', () => {
    const cs = fs.readFileSync(path.join(repoRoot, 'backend', 'ModelIde.Protocol', 'SidecarProtocol.cs'), 'utf8');
    const codes = Object.fromEntries(
      [...cs.matchAll(/public const int (\w+) = (-?\d+);/g)].map((m) => [m[1][0].toLowerCase() + m[1].slice(1), Number(m[2])]),
    );
    const { requestCancelled: _jsonRpcOwn, ...ours } = RpcErrorCodes;
    assert.deepEqual(ours, codes);
  });
});
