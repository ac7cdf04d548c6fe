// Turns a flat (recursive) file listing into folders with summed sizes.
import type { RepoFile } from '../sidecar/protocol.generated';

export interface FileTreeEntry {
  name: string;
  path: string;
  type: 'file' | 'dir';
  size: number;
  file?: RepoFile;
}

/** Folder path ('' for the root) → its entries, folders first, then by name. */
export function buildFileTree(files: RepoFile[]): Map<string, FileTreeEntry[]> {
  const dirs = new Map<string, Map<string, FileTreeEntry>>();
  const dir = (p: string) => {
    let d = dirs.get(p);
    if (!d) {
      d = new Map();
      dirs.set(p, d);
    }
    return d;
  };
  dir('');
  for (const file of files) {
    const parts = file.path.split('/').filter((x) => x.length > 0);
    if (parts.length === 0) {
      continue;
    }
    let parent = '';
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parent ? `${parent}/${parts[i]}` : parts[i];
      const entries = dir(parent);
      const existing = entries.get(parts[i]);
      const size = file.type === 'file' ? file.size : 0;
      if (existing) {
        existing.size += size;
      } else {
        entries.set(parts[i], { name: parts[i], path: p, type: 'dir', size });
      }
      dir(p);
      parent = p;
    }
    const name = parts[parts.length - 1];
    const entries = dir(parent);
    if (file.type === 'dir') {
      if (!entries.has(name)) {
        entries.set(name, { name, path: parts.join('/'), type: 'dir', size: 0 });
      }
      dir(parts.join('/'));
    } else {
      entries.set(name, { name, path: parts.join('/'), type: 'file', size: file.size, file });
    }
  }
  const result = new Map<string, FileTreeEntry[]>();
  for (const [p, entries] of dirs) {
    result.set(
      p,
      [...entries.values()].sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : 1)),
    );
  }
  return result;
}
