// Pieces shared by the webviews: the strict CSP, nonces and HTML escaping. No `vscode` import.
import { randomBytes } from 'crypto';

export function createNonce(): string {
  return randomBytes(16).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function escapeHtml(text: string | undefined | null): string {
  return (text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON for an inline <script>: no "</script>" or "<!--" can close the tag early. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export interface WebviewPage {
  title: string;
  cspSource: string;
  nonce: string;
  styleUri: string;
  scriptUri?: string;
  body: string;
  /** Data for the page script, read from #modelide-data. */
  data?: unknown;
  lang?: string;
}

export function webviewHtml(page: WebviewPage): string {
  const data = page.data === undefined ? '' : `<script nonce="${page.nonce}" id="modelide-data" type="application/json">${jsonForScript(page.data)}</script>`;
  const script = page.scriptUri ? `<script nonce="${page.nonce}" src="${escapeHtml(page.scriptUri)}"></script>` : '';
  return `<!DOCTYPE html>
<html lang="${escapeHtml(page.lang ?? 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(page.cspSource, page.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(page.styleUri)}" nonce="${page.nonce}">
<title>${escapeHtml(page.title)}</title>
</head>
<body>
${page.body}
${data}
${script}
</body>
</html>`;
}
