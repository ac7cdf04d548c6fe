import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildFileTree } from '../../../extension/src/models/fileTree';
import { ModelSource, ModelTreeModel, ModelTreeNode } from '../../../extension/src/models/modelTreeModel';
import { ModelsSearchParams, ModelSummary, RepoFile } from '../../../extension/src/sidecar/protocol.generated';

function summary(id: string): ModelSummary {
  return { id, downloads: 0, likes: 0, tasks: [], private: false, gated: false };
}

/** A hub with `total` models per owner, served in pages like models/search. */
function fakeSource(total: number, calls: ModelsSearchParams[] = []): ModelSource {
  return {
    async search(params) {
      calls.push(params);
      const all = Array.from({ length: total }, (_, i) => summary(`${params.owner ?? 'any'}/m${i}`));
      const { pageNumber = 1, pageSize = 20 } = params;
      const start = (pageNumber - 1) * pageSize;
      return { models: all.slice(start, start + pageSize), totalCount: total, pageNumber, pageSize };
    },
    async files() {
      return [];
    },
    async revisions() {
      return ['master', 'v1.0'];
    },
  };
}

const kinds = (nodes: ModelTreeNode[]) => nodes.map((n) => n.kind);

describe('ModelTreeModel', () => {
  it('shows only the search root when signed out, and nothing before a search', () => {
    const model = new ModelTreeModel(fakeSource(0));
    assert.deepEqual(model.roots(), []);
    model.setSearch({ query: 'qwen' });
    assert.deepEqual(model.roots().map((r) => r.id), ['search']);
  });

  it('lists my models, organisations, "add organisation" and search when signed in', () => {
    const model = new ModelTreeModel(fakeSource(0));
    model.setUser('demo');
    model.setOrganizations(['qwen', ' qwen ', '', 'damo']);
    assert.deepEqual(model.roots().map((r) => r.id), ['mine', 'org:qwen', 'org:damo', 'addOrganization', 'search']);
  });

  it('pages 50 at a time with a "load more" node until everything is loaded', async () => {
    const calls: ModelsSearchParams[] = [];
    const model = new ModelTreeModel(fakeSource(120, calls), 50);
    model.setUser('demo');
    const mine = model.roots()[0];
    let children = await model.children(mine);
    assert.equal(children.filter((c) => c.kind === 'model').length, 50);
    const more = children[children.length - 1];
    assert.equal(more.kind, 'loadMore');
    assert.deepEqual(more.kind === 'loadMore' && [more.loaded, more.total], [50, 120]);

    await model.loadMore('mine');
    children = await model.children(mine);
    assert.equal(children.filter((c) => c.kind === 'model').length, 100);
    await model.loadMore('mine');
    children = await model.children(mine);
    assert.equal(children.filter((c) => c.kind === 'model').length, 120);
    assert.ok(!kinds(children).includes('loadMore'));
    assert.deepEqual(calls.map((c) => [c.owner, c.pageNumber, c.pageSize]), [
      ['demo', 1, 50],
      ['demo', 2, 50],
      ['demo', 3, 50],
    ]);
  });

  it('does not fetch the same page twice when "load more" is clicked twice quickly', async () => {
    const calls: ModelsSearchParams[] = [];
    const model = new ModelTreeModel(fakeSource(200, calls), 50);
    model.setUser('demo');
    await model.children(model.roots()[0]);
    await Promise.all([model.loadMore('mine'), model.loadMore('mine')]);
    assert.deepEqual(calls.map((c) => c.pageNumber), [1, 2]);
  });

  it('passes the search query, sort and filters to models/search', async () => {
    const calls: ModelsSearchParams[] = [];
    const model = new ModelTreeModel(fakeSource(3, calls), 50);
    model.setSearch({ query: 'qwen', sort: 'downloads', task: 'text-generation', license: 'apache-2.0' });
    const children = await model.children(model.roots()[0]);
    assert.equal(children.length, 3);
    assert.deepEqual(calls[0], { query: 'qwen', sort: 'downloads', task: 'text-generation', license: 'apache-2.0', pageNumber: 1, pageSize: 50 });
  });

  it('shows an error node instead of failing when the hub is unreachable', async () => {
    const model = new ModelTreeModel({ ...fakeSource(0), search: () => Promise.reject(new Error('network down')) });
    model.setUser('demo');
    const children = await model.children(model.roots()[0]);
    assert.deepEqual(children.map((c) => c.kind === 'message' && [c.message, c.detail]), [['error', 'network down']]);
  });

  it('shows an empty node for an owner without models', async () => {
    const model = new ModelTreeModel(fakeSource(0));
    model.setUser('demo');
    const children = await model.children(model.roots()[0]);
    assert.deepEqual(children.map((c) => c.kind === 'message' && c.message), ['empty']);
  });

  it('expands a model to revisions and its files, folders first', async () => {
    const files: RepoFile[] = [
      { path: 'config.json', name: 'config.json', type: 'file', size: 10, isLfs: false },
      { path: 'onnx/model.onnx', name: 'model.onnx', type: 'file', size: 1000, isLfs: true },
    ];
    const model = new ModelTreeModel({ ...fakeSource(1), files: async () => files });
    model.setSearch({});
    const [m] = await model.children(model.roots()[0]);
    const children = await model.children(m);
    assert.deepEqual(children.map((c) => (c.kind === 'entry' ? c.entry.name : c.kind)), ['revisions', 'onnx', 'config.json']);
    const revisions = await model.children(children[0]);
    assert.deepEqual(revisions.map((r) => r.kind === 'revision' && r.name), ['master', 'v1.0']);
  });
});

describe('buildFileTree', () => {
  it('derives folders from paths and sums their sizes', () => {
    const tree = buildFileTree([
      { path: 'a/b/c.bin', name: 'c.bin', type: 'file', size: 5, isLfs: true },
      { path: 'a/d.txt', name: 'd.txt', type: 'file', size: 7, isLfs: false },
      { path: 'README.md', name: 'README.md', type: 'file', size: 1, isLfs: false },
    ]);
    assert.deepEqual(tree.get('')!.map((e) => [e.name, e.type, e.size]), [
      ['a', 'dir', 12],
      ['README.md', 'file', 1],
    ]);
    assert.deepEqual(tree.get('a')!.map((e) => [e.name, e.size]), [
      ['b', 5],
      ['d.txt', 7],
    ]);
    assert.deepEqual(tree.get('a/b')!.map((e) => e.path), ['a/b/c.bin']);
  });
});

describe('ModelTreeModel ids', () => {
  it('gives unique ids to the files of a model listed under two roots', async () => {
    const files: RepoFile[] = [{ path: 'a/b.txt', name: 'b.txt', type: 'file', size: 1, isLfs: false }];
    const model = new ModelTreeModel({ ...fakeSource(1), files: async () => files });
    model.setUser('any');
    model.setSearch({});
    const ids: string[] = [];
    const walk = async (node: ModelTreeNode | undefined): Promise<void> => {
      for (const child of await model.children(node)) {
        ids.push(child.id);
        await walk(child);
      }
    };
    await walk(undefined);
    assert.ok(ids.filter((id) => id.endsWith('#a/b.txt')).length === 2, 'the file appears under both roots');
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('ModelTreeModel after the session is renewed', () => {
  it('keeps the loaded search pages and fetches again only the lists that failed', async () => {
    const calls: ModelsSearchParams[] = [];
    const healthy = fakeSource(120, calls);
    let refused = false; // the hub refuses the token (revoked) until the user signs in again
    const model = new ModelTreeModel({
      ...healthy,
      search: (params) => (refused ? Promise.reject(new Error('The hub did not accept the token: sign in again.')) : healthy.search(params)),
    }, 50);
    model.setUser('demo');
    model.setSearch({ query: 'tiny' });
    const search = model.roots().find((r) => r.id === 'search')!;
    await model.children(search);
    await model.loadMore('search'); // the user loaded a second page of results

    refused = true;
    const mine = model.roots().find((r) => r.id === 'mine')!;
    assert.deepEqual(kinds(await model.children(mine)), ['message'], 'my models failed while the token was refused');

    refused = false;
    const before = calls.length;
    model.retryFailed();
    const models = (await model.children(mine)).filter((c) => c.kind === 'model');
    assert.equal(models.length, 50, 'the failed list is fetched again');
    const results = await model.children(search);
    assert.equal(results.filter((c) => c.kind === 'model').length, 100, 'both loaded pages of the search are still there');
    assert.deepEqual(calls.slice(before).map((c) => [c.owner, c.pageNumber]), [['demo', 1]], 'only the failed list was requested');
  });
});
