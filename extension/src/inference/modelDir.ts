// Whether a folder holds a model the local runtime can load (ONNX Runtime GenAI or a plain ONNX model).
import * as fs from 'fs';
import * as path from 'path';

export const runnableMarkers = ['genai_config.json', 'model.onnx'];

export function isRunnableModelDir(fileNames: string[]): boolean {
  return fileNames.some((f) => runnableMarkers.includes(path.basename(f)));
}

/** The folder to load: the folder itself or one level below (onnx/, cpu/...), else undefined. */
export function findRunnableModelDir(dir: string, readdir: (p: string) => string[] = (p) => fs.readdirSync(p)): string | undefined {
  try {
    const names = readdir(dir);
    if (isRunnableModelDir(names)) {
      return dir;
    }
    for (const name of names) {
      const sub = path.join(dir, name);
      try {
        if (isRunnableModelDir(readdir(sub))) {
          return sub;
        }
      } catch {
        /* not a folder */
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}
