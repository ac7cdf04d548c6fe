// Whether a folder holds a model the local runtime can load. The sidecar chooses among the ONNX files below it (onnx/,
// cpu_and_mobile/cpu-int4-.../), so the folder the user gave is what it gets, with the modelFile setting relative to it.
import * as fs from 'fs';
import * as path from 'path';

/** As deep as the sidecar looks for ONNX files below the folder it is given. */
const maxDepth = 8;

export function isRunnableModelDir(fileNames: string[]): boolean {
  return fileNames.some((f) => path.basename(f) === 'genai_config.json' || f.toLowerCase().endsWith('.onnx'));
}

/** The folder itself when it or a folder below it (up to eight levels, as ModelVariantChooser) holds an ONNX model, else undefined. */
export function findRunnableModelDir(dir: string, readdir: (p: string) => string[] = (p) => fs.readdirSync(p)): string | undefined {
  const holdsModel = (folder: string, depth: number): boolean => {
    let names: string[];
    try {
      names = readdir(folder);
    } catch {
      return false; // a file, or a folder we cannot read
    }
    if (isRunnableModelDir(names)) {
      return true;
    }
    return depth < maxDepth && names.some((n) => !n.startsWith('.') && n !== 'node_modules' && holdsModel(path.join(folder, n), depth + 1));
  };
  return holdsModel(dir, 0) ? dir : undefined;
}

/**
 * What the playground calls a model folder: "owner/name" for a ModelScope cache snapshot
 * (`<cache>/models/<owner>--<name>/snapshots/<revision>`, with "@revision" unless it is master), else the folder's name.
 */
export function modelLabel(dir: string): string {
  const parts = dir.split(/[\\/]+/).filter(Boolean);
  const n = parts.length;
  if (n >= 3 && parts[n - 2] === 'snapshots' && parts[n - 3].includes('--')) {
    const folder = parts[n - 3];
    const split = folder.indexOf('--');
    const id = `${folder.slice(0, split)}/${folder.slice(split + 2)}`;
    return parts[n - 1] === 'master' ? id : `${id}@${parts[n - 1]}`;
  }
  return parts[n - 1] ?? dir;
}
