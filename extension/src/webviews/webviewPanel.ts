// Creates webview panels the same way everywhere: local resources from media/ only, strict CSP, nonce'd script.
import * as vscode from 'vscode';
import { createNonce, webviewHtml } from '../common/html';

export interface PanelContent {
  title: string;
  body: string;
  script?: string;
  data?: unknown;
}

export function createPanel(extensionUri: vscode.Uri, viewType: string, title: string, column = vscode.ViewColumn.Active): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(viewType, title, column, {
    enableScripts: true,
    retainContextWhenHidden: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')],
  });
}

export function renderPanel(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, content: PanelContent): void {
  const media = (file: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', file)).toString();
  panel.title = content.title;
  panel.webview.html = webviewHtml({
    title: content.title,
    cspSource: panel.webview.cspSource,
    nonce: createNonce(),
    styleUri: media('webview.css'),
    scriptUri: content.script ? media(content.script) : undefined,
    body: content.body,
    data: content.data,
    lang: vscode.env.language,
  });
}

/** Messages from a webview are untrusted: accept only objects with a known string `type`. */
export function messageOf<T extends string>(message: unknown, types: readonly T[]): ({ type: T } & Record<string, unknown>) | undefined {
  if (typeof message !== 'object' || message === null) {
    return undefined;
  }
  const type = (message as { type?: unknown }).type;
  return typeof type === 'string' && (types as readonly string[]).includes(type) ? (message as { type: T } & Record<string, unknown>) : undefined;
}
