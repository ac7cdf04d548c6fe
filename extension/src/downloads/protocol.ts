// downloads/ methods of the sidecar (docs/protocol.md).

export const DownloadMethods = {
  start: 'downloads/start',
  progress: 'downloads/progress',
  cachedModels: 'downloads/cachedModels',
  deleteFromCache: 'downloads/deleteFromCache',
} as const;

export interface DownloadStartParams {
  downloadId: string;
  modelId: string;
  revision?: string;
  include?: string[];
  cacheDir?: string;
}

export interface DownloadResult {
  localPath: string;
  files: number;
  bytes: number;
}

export interface DownloadProgress {
  downloadId: string;
  file?: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  bytesPerSecond: number;
  etaSeconds?: number;
}

export interface CachedModel {
  modelId: string;
  revision: string;
  localPath: string;
  bytes: number;
}

export interface CachedModelsResult {
  models: CachedModel[];
}
