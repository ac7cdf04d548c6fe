// package.json contributions agree with the code: commands, menus, views, pure files without `vscode`.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { extensionRoot } from '../paths';

const pkg = JSON.parse(fs.readFileSync(path.join(extensionRoot, 'package.json'), 'utf8'));
const src = (rel: string) => fs.readFileSync(path.join(extensionRoot, 'src', rel), 'utf8');

function allSources(dir = path.join(extensionRoot, 'src')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allSources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

describe('package.json contributions', () => {
  const declared: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);
  const registered = allSources().flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]));

  it('declares exactly the commands the code registers', () => {
    assert.deepEqual([...declared].sort(), [...new Set(registered)].sort());
  });

  it('puts every command in the ModelScope category', () => {
    assert.deepEqual(pkg.contributes.commands.filter((c: { category: string }) => c.category !== '%category%').map((c: { command: string }) => c.command), []);
  });

  it('refers only to declared commands in menus', () => {
    const used = Object.values(pkg.contributes.menus).flatMap((items) => (items as { command: string }[]).map((i) => i.command));
    assert.deepEqual(used.filter((c) => !declared.includes(c)), []);
  });

  it('creates the views it contributes', () => {
    const views = pkg.contributes.views.modelscope.map((v: { id: string }) => v.id);
    assert.deepEqual(views, ['modelscope.models', 'modelscope.jobs']);
    const code = allSources().map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    for (const id of views) {
      assert.ok(code.includes(`createTreeView('${id}'`), id);
    }
  });

  it('ships the walkthrough media it names', () => {
    for (const step of pkg.contributes.walkthroughs[0].steps) {
      assert.ok(fs.existsSync(path.join(extensionRoot, step.media.markdown)), step.media.markdown);
    }
  });

  it('registers the modelscope authentication provider it declares', () => {
    assert.deepEqual(pkg.contributes.authentication, [{ id: 'modelscope', label: 'ModelScope' }]);
    assert.ok(src('extension.ts').includes('registerAuthenticationProvider(providerId'));
    assert.ok(src('auth/authProvider.ts').includes("providerId = 'modelscope'"));
  });

  it('keeps pure logic free of the vscode module so it runs in plain Node', () => {
    const pure = [
      'common/redact.ts', 'common/format.ts', 'common/html.ts', 'sidecar/sidecarClient.ts', 'sidecar/restartPolicy.ts',
      'sidecar/sidecarLocator.ts', 'auth/signInFlow.ts', 'auth/plainHttp.ts', 'models/modelTreeModel.ts', 'models/fileTree.ts', 'models/markdown.ts',
      'jobs/jobForm.ts', 'inference/modelDir.ts', 'gpu/gpuEnable.ts',
    ];
    for (const file of pure) {
      assert.ok(!/from 'vscode'/.test(src(file)), file);
    }
  });

  it('keeps webviews on the strict CSP with nonce scripts and no remote content', () => {
    const media = path.join(extensionRoot, 'media');
    for (const file of fs.readdirSync(media).filter((f) => f.endsWith('.js') || f.endsWith('.css'))) {
      const text = fs.readFileSync(path.join(media, file), 'utf8');
      assert.ok(!/https?:\/\//.test(text.replace(/http:\/\/www\.w3\.org\/2000\/svg/g, '')), `${file} loads nothing remote`);
      assert.ok(!/innerHTML\s*=/.test(text), `${file} sets text, not HTML`);
    }
  });

  it('lets no workspace steer where the token or a command goes (issue 19 case 10): those settings are user-level only', () => {
    const properties: Record<string, { scope?: string }> = pkg.contributes.configuration.properties;
    // window scope (the default) lets an opened folder's .vscode/settings.json set a value; these are harmless there.
    // offline only stops requests to the hub.
    const workspaceMaySet = ['modelscope.organizations', 'modelscope.inference.devicePolicy', 'modelscope.offline'];
    const scopes = Object.entries(properties).map(([key, p]) => [key, p.scope ?? 'window']);
    assert.deepEqual(
      scopes.filter(([key, scope]) => !workspaceMaySet.includes(key) && scope !== 'application' && scope !== 'machine'),
      [],
      'a setting a workspace could set',
    );
    for (const key of ['modelscope.endpoint', 'modelscope.allowHttpHosts', 'modelscope.oauth.clientId', 'modelscope.oauth.scopes']) {
      assert.equal(properties[key]?.scope, 'application', key);
    }
    assert.deepEqual(properties['modelscope.allowHttpHosts'], {
      type: 'array', items: { type: 'string' }, default: [], markdownDescription: '%config.allowHttpHosts%', scope: 'application', order: 0,
    });
  });
});
