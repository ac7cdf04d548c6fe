// Every record of the contract through both sides' serializers: C# fills a sample of each (every member, then only the
// required ones) and serializes it with the sidecar's own options; here each sample must have exactly the generated
// shape; what we serialize back must read in C# as what it sent (scripts/protocol.sh samples / roundtrip).
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { protocolEnums, protocolShapes } from '../../../extension/src/sidecar/protocol.generated';
import { generatedMethods, shapeProblems } from '../contract';
import { repoRoot } from '../paths';

interface Samples {
  types: Record<string, [unknown, unknown]>;
  enums: Record<string, string[]>;
  methods: Record<string, { kind: string; params: string | null; result: string | null }>;
}

const script = path.join(repoRoot, 'scripts', 'protocol.sh');
let samples: Samples;

describe('protocol round trip (C# serializer ⇄ generated TypeScript)', () => {
  before(() => {
    samples = JSON.parse(execFileSync('bash', [script, 'samples'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }));
  });

  it('knows the same methods, with the same kinds', () => {
    const generated = Object.fromEntries(generatedMethods().map((m) => [m.method, m.kind]));
    const csharp = Object.fromEntries(Object.entries(samples.methods).map(([m, x]) => [m, x.kind]));
    assert.deepEqual(generated, csharp);
  });

  it('spells every enum member as C# sends it', () => {
    assert.deepEqual(samples.enums, protocolEnums);
  });

  it('reads every sample C# sends as its generated type: no member missing, extra or of another type', () => {
    assert.deepEqual(Object.keys(samples.types).sort(), Object.keys(protocolShapes).sort());
    const problems: string[] = [];
    for (const [type, [full, minimal]] of Object.entries(samples.types)) {
      problems.push(...shapeProblems(full, type, `${type} (all members)`), ...shapeProblems(minimal, type, `${type} (required only)`));
      // Every member the types declare is one C# really sends (the full sample sets them all).
      const sent = Object.keys(full as object);
      problems.push(...Object.keys(protocolShapes[type]).filter((k) => !sent.includes(k)).map((k) => `${type}.${k}: declared, never sent by C#`));
    }
    assert.deepEqual(problems, []);
  });

  it('sends every sample back in a form C# reads as the same value', () => {
    // What the extension would send: the parsed value, serialized again by JSON-RPC's JSON.
    const back = { types: Object.fromEntries(Object.entries(samples.types).map(([type, pair]) => [type, pair.map((v) => JSON.parse(JSON.stringify(v)))])) };
    const result = spawnSync('bash', [script, 'roundtrip'], { input: JSON.stringify(back), encoding: 'utf8', timeout: 600_000 });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  });
});
