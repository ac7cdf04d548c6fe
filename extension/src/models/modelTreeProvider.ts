// TreeDataProvider for the "Models" view over ModelTreeModel.
import * as vscode from 'vscode';
import { formatBytes, formatCount } from '../common/format';
import { ModelTreeModel, ModelTreeNode } from './modelTreeModel';

export class ModelTreeProvider implements vscode.TreeDataProvider<ModelTreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ModelTreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly parents = new Map<string, ModelTreeNode | undefined>();
  private readonly nodesById = new Map<string, ModelTreeNode>();

  constructor(readonly model: ModelTreeModel) {}

  refresh(node?: ModelTreeNode): void {
    this.emitter.fire(node);
  }

  nodeById(id: string): ModelTreeNode | undefined {
    return this.nodesById.get(id);
  }

  async getChildren(element?: ModelTreeNode): Promise<ModelTreeNode[]> {
    const children = await this.model.children(element);
    for (const child of children) {
      this.parents.set(child.id, element);
      this.nodesById.set(child.id, child);
    }
    return children;
  }

  getParent(element: ModelTreeNode): ModelTreeNode | undefined {
    return this.parents.get(element.id);
  }

  getTreeItem(node: ModelTreeNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (node.kind) {
      case 'root': {
        if (node.rootKind === 'cached') {
          const item = new vscode.TreeItem(vscode.l10n.t('Cached models (offline)'), C.Expanded);
          item.id = node.id;
          item.contextValue = 'modelscope.root.cached';
          item.iconPath = new vscode.ThemeIcon('archive');
          item.tooltip = vscode.l10n.t('The modelscope.offline setting is on: only models in the local cache are shown, and the hub is not asked.');
          return item;
        }
        const label =
          node.rootKind === 'mine'
            ? vscode.l10n.t('My models')
            : node.rootKind === 'search'
              ? vscode.l10n.t('Search...')
              : node.owner!;
        const item = new vscode.TreeItem(label, node.rootKind === 'search' && !node.query ? C.None : C.Collapsed);
        // A new search is a new item, so VS Code does not reuse the old one's expansion state.
        item.id = node.rootKind === 'search' && node.query ? `search:${JSON.stringify(node.query)}` : node.id;
        item.contextValue = `modelscope.root.${node.rootKind}`;
        item.iconPath = new vscode.ThemeIcon(node.rootKind === 'mine' ? 'account' : node.rootKind === 'org' ? 'organization' : 'search');
        if (node.rootKind === 'search') {
          item.description = node.query?.query ? `"${node.query.query}"` : undefined;
          if (!node.query) {
            item.command = { command: 'modelscope.searchModels', title: vscode.l10n.t('Search Models...') };
          } else {
            item.collapsibleState = C.Expanded;
          }
        }
        return item;
      }
      case 'addOrganization': {
        const item = new vscode.TreeItem(vscode.l10n.t('Add organisation...'), C.None);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('add');
        item.contextValue = 'modelscope.addOrganization';
        item.command = { command: 'modelscope.addOrganization', title: vscode.l10n.t('Add organisation...') };
        return item;
      }
      case 'model': {
        if (node.cached) {
          const c = node.cached;
          const item = new vscode.TreeItem(c.modelId, C.None);
          item.id = node.id;
          item.contextValue = 'modelscope.model.cached';
          item.iconPath = new vscode.ThemeIcon('package');
          item.description = [c.revision, formatBytes(c.bytes)].filter(Boolean).join(' ');
          item.tooltip = c.localPath;
          return item;
        }
        const m = node.model;
        const item = new vscode.TreeItem(m.id, C.Collapsed);
        item.id = node.id;
        const flags = [m.private ? 'private' : undefined, m.gated ? 'gated' : undefined].filter(Boolean).join('.');
        item.contextValue = `modelscope.model${flags ? '.' + flags : ''}`;
        item.iconPath = new vscode.ThemeIcon(m.private ? 'lock' : m.gated ? 'shield' : 'package');
        item.description = [`↓${formatCount(m.downloads)}`, `♥${formatCount(m.likes)}`, m.fileSize ? formatBytes(m.fileSize) : undefined]
          .filter(Boolean)
          .join(' ');
        const tooltip = new vscode.MarkdownString(undefined, true);
        tooltip.appendMarkdown(`**${escapeMd(m.displayName || m.id)}**\n\n`);
        if (m.description) {
          tooltip.appendText(m.description + '\n\n');
        }
        tooltip.appendMarkdown(
          [
            `${vscode.l10n.t('Downloads')}: ${m.downloads}`,
            `${vscode.l10n.t('Likes')}: ${m.likes}`,
            m.license ? `${vscode.l10n.t('License')}: ${escapeMd(m.license)}` : undefined,
            m.tasks?.length ? `${vscode.l10n.t('Tasks')}: ${escapeMd(m.tasks.join(', '))}` : undefined,
            m.fileSize ? `${vscode.l10n.t('Size')}: ${formatBytes(m.fileSize)}` : undefined,
            m.private ? `$(lock) ${vscode.l10n.t('Private')}` : undefined,
            m.gated ? `$(shield) ${vscode.l10n.t('Gated: accept the license on the hub before downloading')}` : undefined,
          ]
            .filter(Boolean)
            .join('  \n'),
        );
        item.tooltip = tooltip;
        return item;
      }
      case 'loadMore': {
        const item = new vscode.TreeItem(vscode.l10n.t('Load more...'), C.None);
        item.id = node.id;
        item.description = vscode.l10n.t('{0} of {1}', node.loaded, node.total);
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = 'modelscope.loadMore';
        item.command = { command: 'modelscope.loadMore', title: vscode.l10n.t('Load more...'), arguments: [node] };
        return item;
      }
      case 'revisions': {
        const item = new vscode.TreeItem(vscode.l10n.t('Revisions'), C.Collapsed);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('git-branch');
        item.contextValue = 'modelscope.revisions';
        return item;
      }
      case 'revision': {
        const item = new vscode.TreeItem(node.name, C.None);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('tag');
        item.contextValue = 'modelscope.revision';
        return item;
      }
      case 'entry': {
        const e = node.entry;
        const item = new vscode.TreeItem(e.name, e.type === 'dir' ? C.Collapsed : C.None);
        item.id = node.id;
        item.description = formatBytes(e.size);
        item.contextValue = e.type === 'dir' ? 'modelscope.folder' : e.file?.isLfs ? 'modelscope.file.lfs' : 'modelscope.file';
        item.iconPath = e.type === 'dir' ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
        item.resourceUri = vscode.Uri.parse(`modelscope-file:/${encodeURIComponent(e.name)}`);
        item.tooltip = `${e.path} (${formatBytes(e.size)})${e.file?.sha256 ? `\nsha256 ${e.file.sha256}` : ''}`;
        return item;
      }
      case 'message': {
        const text =
          node.message === 'empty'
            ? vscode.l10n.t('No models found')
            : node.message === 'emptyCache'
              ? vscode.l10n.t('No models in the local cache')
              : node.message === 'signInRequired'
                ? vscode.l10n.t('Sign in to see your models')
                : vscode.l10n.t('Could not load: {0}', node.detail ?? '');
        const item = new vscode.TreeItem(text, C.None);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon(node.message === 'error' ? 'error' : 'info');
        item.contextValue = `modelscope.message.${node.message}`;
        return item;
      }
    }
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
