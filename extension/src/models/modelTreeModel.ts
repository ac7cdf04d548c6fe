// The data behind the Models tree, apart from the TreeDataProvider: roots, paged lists with "Load more",
// revisions and file folders. No `vscode` import.
import { buildFileTree, FileTreeEntry } from './fileTree';
import type { ModelSortKind, ModelsSearchParams, ModelsSearchResult, ModelSummary, RepoFile } from '../sidecar/protocol.generated';

export interface ModelSource {
  search(params: ModelsSearchParams): Promise<ModelsSearchResult>;
  files(modelId: string, revision?: string): Promise<RepoFile[]>;
  revisions(modelId: string): Promise<string[]>;
}

export interface SearchQuery {
  query?: string;
  sort?: ModelSortKind;
  task?: string;
  license?: string;
}

export type RootKind = 'mine' | 'org' | 'search';

export type ModelTreeNode =
  | { kind: 'root'; id: string; rootKind: RootKind; owner?: string; query?: SearchQuery }
  | { kind: 'addOrganization'; id: string }
  | { kind: 'model'; id: string; listId: string; model: ModelSummary }
  | { kind: 'loadMore'; id: string; listId: string; loaded: number; total: number }
  | { kind: 'revisions'; id: string; modelId: string }
  | { kind: 'revision'; id: string; modelId: string; name: string }
  | { kind: 'entry'; id: string; modelId: string; entry: FileTreeEntry }
  | { kind: 'message'; id: string; message: 'empty' | 'error' | 'signInRequired'; detail?: string };

interface ListState {
  params: Omit<ModelsSearchParams, 'pageNumber' | 'pageSize'>;
  items: ModelSummary[];
  totalCount: number;
  lastPage: number;
  lastPageSize: number;
  error?: string;
  loading?: Promise<void>;
}

export class ModelTreeModel {
  private userName: string | undefined;
  private organizations: string[] = [];
  private search: SearchQuery | undefined;
  private readonly lists = new Map<string, ListState>();
  private readonly fileTrees = new Map<string, Promise<Map<string, FileTreeEntry[]>>>();

  constructor(
    private readonly source: ModelSource,
    readonly pageSize = 50,
  ) {}

  setUser(userName: string | undefined): void {
    if (userName !== this.userName) {
      this.userName = userName;
      this.lists.delete('mine');
    }
  }

  setOrganizations(organizations: string[]): void {
    this.organizations = [...new Set(organizations.map((o) => o.trim()).filter((o) => o.length > 0))];
  }

  setSearch(query: SearchQuery | undefined): void {
    this.search = query;
    this.lists.delete('search');
  }

  get currentSearch(): SearchQuery | undefined {
    return this.search;
  }

  /**
   * The same account has a new token (refreshed, or signed in again after it expired): keeps every loaded page, so
   * expanded lists stay as they are, and forgets only what failed, so it is fetched again.
   */
  retryFailed(): void {
    for (const [id, state] of this.lists) {
      if (state.error && state.items.length === 0) {
        this.lists.delete(id);
      } else if (state.error) {
        state.error = undefined; // "Load more" comes back for the page that failed
      }
    }
  }

  /** Drops cached pages and file listings (Refresh). */
  clear(): void {
    this.lists.clear();
    this.fileTrees.clear();
  }

  roots(): ModelTreeNode[] {
    const roots: ModelTreeNode[] = [];
    if (this.userName) {
      roots.push({ kind: 'root', id: 'mine', rootKind: 'mine', owner: this.userName });
      for (const org of this.organizations) {
        roots.push({ kind: 'root', id: `org:${org}`, rootKind: 'org', owner: org });
      }
      roots.push({ kind: 'addOrganization', id: 'addOrganization' });
    }
    if (this.userName || this.search) {
      roots.push({ kind: 'root', id: 'search', rootKind: 'search', query: this.search });
    }
    return roots;
  }

  async children(node: ModelTreeNode | undefined): Promise<ModelTreeNode[]> {
    if (!node) {
      return this.roots();
    }
    switch (node.kind) {
      case 'root':
        return this.listChildren(node);
      case 'model':
        return this.modelChildren(node.model.id, node.id);
      case 'revisions':
        return this.revisionChildren(node.modelId, node.id);
      case 'entry':
        return node.entry.type === 'dir' ? this.folderChildren(node.modelId, node.entry.path, node.id.slice(0, node.id.lastIndexOf('#'))) : [];
      default:
        return [];
    }
  }

  /** Fetches the next page of a list; the caller refreshes the list's node afterwards. */
  async loadMore(listId: string): Promise<void> {
    const state = this.lists.get(listId);
    if (!state || state.loading) {
      return state?.loading;
    }
    state.loading = this.fetchPage(state, state.lastPage + 1).finally(() => (state.loading = undefined));
    return state.loading;
  }

  private listParams(node: Extract<ModelTreeNode, { kind: 'root' }>): ListState['params'] | undefined {
    if (node.rootKind === 'search') {
      return this.search ? { ...this.search } : undefined;
    }
    return { owner: node.owner, sort: 'lastModified' };
  }

  private async listChildren(node: Extract<ModelTreeNode, { kind: 'root' }>): Promise<ModelTreeNode[]> {
    let state = this.lists.get(node.id);
    if (!state) {
      const params = this.listParams(node);
      if (!params) {
        return [];
      }
      state = { params, items: [], totalCount: 0, lastPage: 0, lastPageSize: 0 };
      this.lists.set(node.id, state);
      state.loading = this.fetchPage(state, 1).finally(() => (state!.loading = undefined));
    }
    if (state.loading) {
      await state.loading;
    }
    const nodes: ModelTreeNode[] = state.items.map((model) => ({ kind: 'model', id: `${node.id}/${model.id}`, listId: node.id, model }));
    if (state.error) {
      nodes.push({ kind: 'message', id: `${node.id}/error`, message: 'error', detail: state.error });
    } else if (state.items.length === 0) {
      nodes.push({ kind: 'message', id: `${node.id}/empty`, message: 'empty' });
    } else if (hasMore(state, this.pageSize)) {
      nodes.push({ kind: 'loadMore', id: `${node.id}/loadMore`, listId: node.id, loaded: state.items.length, total: state.totalCount });
    }
    return nodes;
  }

  private async fetchPage(state: ListState, pageNumber: number): Promise<void> {
    try {
      const result = await this.source.search({ ...state.params, pageNumber, pageSize: this.pageSize });
      const seen = new Set(state.items.map((m) => m.id));
      state.items.push(...result.models.filter((m) => !seen.has(m.id)));
      state.totalCount = result.totalCount;
      state.lastPage = pageNumber;
      state.lastPageSize = result.models.length;
      state.error = undefined;
    } catch (error) {
      state.error = (error as Error)?.message ?? String(error);
    }
  }

  private fileTree(modelId: string): Promise<Map<string, FileTreeEntry[]>> {
    let tree = this.fileTrees.get(modelId);
    if (!tree) {
      tree = this.source.files(modelId).then(buildFileTree);
      tree.catch(() => this.fileTrees.delete(modelId));
      this.fileTrees.set(modelId, tree);
    }
    return tree;
  }

  // Ids below a model start with the model node's id (list + model), so a model shown under two roots
  // still gives every tree item a unique id.
  private async modelChildren(modelId: string, prefix: string): Promise<ModelTreeNode[]> {
    const nodes: ModelTreeNode[] = [{ kind: 'revisions', id: `${prefix}@revisions`, modelId }];
    return nodes.concat(await this.folderChildren(modelId, '', prefix));
  }

  private async folderChildren(modelId: string, folder: string, prefix: string): Promise<ModelTreeNode[]> {
    try {
      const tree = await this.fileTree(modelId);
      return (tree.get(folder) ?? []).map((entry) => ({ kind: 'entry', id: `${prefix}#${entry.path}`, modelId, entry }));
    } catch (error) {
      return [{ kind: 'message', id: `${prefix}#${folder}!error`, message: 'error', detail: (error as Error)?.message ?? String(error) }];
    }
  }

  private async revisionChildren(modelId: string, prefix: string): Promise<ModelTreeNode[]> {
    try {
      const names = await this.source.revisions(modelId);
      return names.map((name) => ({ kind: 'revision', id: `${prefix}@${name}`, modelId, name }));
    } catch (error) {
      return [{ kind: 'message', id: `${prefix}@!error`, message: 'error', detail: (error as Error)?.message ?? String(error) }];
    }
  }
}

function hasMore(state: ListState, pageSize: number): boolean {
  return state.items.length < state.totalCount && state.lastPageSize >= pageSize;
}
