// Wires the Models view: tree, search, organisations, model card (downloads/ and git/ add their commands to it).
import * as vscode from 'vscode';
import { ModelScopeAuthProvider } from '../auth/authProvider';
import { options } from '../options';
import { SidecarHost } from '../sidecar/sidecarHost';
import { ModelCardPanels } from './modelCardPanel';
import { ModelTreeModel, ModelTreeNode, SearchQuery } from './modelTreeModel';
import { ModelTreeProvider } from './modelTreeProvider';
import { ModelSortKind, ModelsMethods } from '../sidecar/protocol.generated';

/** Accepts a tree node, a model id, `{modelId}` or a Uri-less call; returns the model id. */
export function modelIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') {
    return arg;
  }
  const node = arg as ModelTreeNode & { modelId?: string };
  if (node?.kind === 'model') {
    return node.model.id;
  }
  return typeof node?.modelId === 'string' ? node.modelId : undefined;
}

/** The model id of a command's argument, or a warning that asks to select a model. */
export function requireModelId(arg: unknown): string | undefined {
  const id = modelIdOf(arg);
  if (!id) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Select a model in the ModelScope view first.'));
  }
  return id;
}

export interface ModelFeatures {
  tree: ModelTreeProvider;
  view: vscode.TreeView<ModelTreeNode>;
  cards: ModelCardPanels;
}

const commonTasks = ['text-generation', 'chat', 'text-classification', 'feature-extraction', 'text-to-image', 'automatic-speech-recognition', 'image-classification'];
const commonLicenses = ['apache-2.0', 'mit', 'cc-by-4.0', 'cc-by-nc-4.0', 'llama3', 'other'];

export function registerModelFeatures(
  context: vscode.ExtensionContext,
  sidecar: SidecarHost,
  auth: ModelScopeAuthProvider,
): ModelFeatures {
  const model = new ModelTreeModel(
    {
      search: (params) => sidecar.request(ModelsMethods.search, params),
      files: async (modelId, revision) =>
        (await sidecar.request(ModelsMethods.files, { modelId, revision, recursive: true })).files,
      revisions: async (modelId) => (await sidecar.request(ModelsMethods.revisions, { modelId })).revisions.map((r) => r.name),
    },
    50,
  );
  model.setUser(auth.activeSession?.userName);
  let account = auth.activeSession?.id;
  model.setOrganizations(options.organizations());
  const tree = new ModelTreeProvider(model);
  const view = vscode.window.createTreeView('modelscope.models', { treeDataProvider: tree, showCollapseAll: true });
  const cards = new ModelCardPanels(context.extensionUri, sidecar);

  const search = async (args?: SearchQuery): Promise<void> => {
    let query: SearchQuery | undefined = args;
    if (!query) {
      const text = await vscode.window.showInputBox({
        title: vscode.l10n.t('Search ModelScope Models'),
        prompt: vscode.l10n.t('Words to look for in model names and descriptions (empty: all models)'),
        value: model.currentSearch?.query ?? '',
      });
      if (text === undefined) {
        return;
      }
      const sorts: { label: string; sort: ModelSortKind }[] = [
        { label: vscode.l10n.t('Most downloaded'), sort: 'downloads' },
        { label: vscode.l10n.t('Most liked'), sort: 'likes' },
        { label: vscode.l10n.t('Recently updated'), sort: 'lastModified' },
        { label: vscode.l10n.t('Best match'), sort: 'default' },
      ];
      const sort = await vscode.window.showQuickPick(sorts, { title: vscode.l10n.t('Sort by') });
      if (!sort) {
        return;
      }
      const any = vscode.l10n.t('Any');
      const task = await vscode.window.showQuickPick([any, ...commonTasks], { title: vscode.l10n.t('Task') });
      if (task === undefined) {
        return;
      }
      const license = await vscode.window.showQuickPick([any, ...commonLicenses], { title: vscode.l10n.t('License') });
      if (license === undefined) {
        return;
      }
      query = { query: text.trim() || undefined, sort: sort.sort, task: task === any ? undefined : task, license: license === any ? undefined : license };
    }
    model.setSearch(query);
    tree.refresh();
    const searchNode = model.roots().find((r) => r.id === 'search');
    if (searchNode) {
      void view.reveal(searchNode, { expand: true, focus: false, select: false }).then(undefined, () => undefined);
    }
  };

  context.subscriptions.push(
    tree,
    view,
    cards,
    auth.onDidChangeActive((s) => {
      const sameAccount = !!s && s.id === account;
      account = s?.id;
      if (sameAccount) {
        model.retryFailed(); // a renewed token (refreshed or signed in again): nothing the user opened is lost
      } else {
        model.setUser(s?.userName);
        model.clear();
      }
      tree.refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('modelscope.organizations')) {
        model.setOrganizations(options.organizations());
        tree.refresh();
      }
    }),
    vscode.commands.registerCommand('modelscope.refreshModels', () => {
      model.clear();
      tree.refresh();
    }),
    vscode.commands.registerCommand('modelscope.searchModels', (args?: SearchQuery) => search(args && typeof args === 'object' && !('kind' in args) ? args : undefined)),
    vscode.commands.registerCommand('modelscope.clearSearch', () => {
      model.setSearch(undefined);
      tree.refresh();
    }),
    vscode.commands.registerCommand('modelscope.loadMore', async (node?: Extract<ModelTreeNode, { kind: 'loadMore' }> | string) => {
      const listId = typeof node === 'string' ? node : node?.listId;
      if (!listId) {
        return;
      }
      await model.loadMore(listId);
      tree.refresh();
    }),
    vscode.commands.registerCommand('modelscope.addOrganization', async (name?: string) => {
      const org =
        typeof name === 'string'
          ? name
          : await vscode.window.showInputBox({
              title: vscode.l10n.t('Add organisation'),
              prompt: vscode.l10n.t('Organisation or user name on ModelScope, e.g. qwen'),
              validateInput: (v) => (/^[A-Za-z0-9_.-]+$/.test(v.trim()) ? undefined : vscode.l10n.t('Use letters, digits, "-", "_" or "." only.')),
            });
      if (!org?.trim()) {
        return;
      }
      const current = options.organizations();
      if (!current.includes(org.trim())) {
        await options.setOrganizations([...current, org.trim()]);
      }
    }),
    vscode.commands.registerCommand('modelscope.removeOrganization', async (node?: ModelTreeNode) => {
      if (node?.kind !== 'root' || node.rootKind !== 'org') {
        return;
      }
      await options.setOrganizations(options.organizations().filter((o) => o !== node.owner));
    }),
    vscode.commands.registerCommand('modelscope.openModelCard', async (arg?: unknown) => {
      const id = modelIdOf(arg) ?? (await vscode.window.showInputBox({ title: vscode.l10n.t('Open Model Card'), prompt: vscode.l10n.t('Model id, e.g. qwen/Qwen2.5-0.5B-Instruct') }));
      if (id) {
        await cards.show(id.trim());
      }
    }),
  );
  return { tree, view, cards };
}
