// models/ methods of the sidecar (docs/protocol.md).

export const ModelMethods = {
  search: 'models/search',
  get: 'models/get',
  files: 'models/files',
  revisions: 'models/revisions',
  card: 'models/card',
} as const;

export type ModelSort = 'default' | 'downloads' | 'likes' | 'lastModified';

export interface SearchParams {
  query?: string;
  owner?: string;
  sort?: ModelSort;
  task?: string;
  license?: string;
  pageNumber: number;
  pageSize: number;
}

export interface ModelSummary {
  id: string;
  displayName?: string;
  description?: string;
  downloads: number;
  likes: number;
  license?: string;
  tasks: string[];
  private: boolean;
  gated: boolean;
  fileSize?: number;
  lastModified?: string;
}

export interface SearchResult {
  models: ModelSummary[];
  totalCount: number;
  pageNumber: number;
  pageSize: number;
}

export interface ModelDetail extends ModelSummary {
  readme?: string;
  revisions: string[];
  tags: string[];
}

export interface RepoFile {
  path: string;
  name: string;
  type: 'file' | 'dir';
  size: number;
  sha256?: string;
  revision?: string;
  isLfs: boolean;
}

export interface FilesResult {
  files: RepoFile[];
}

export interface RevisionsResult {
  revisions: { name: string; createdAt?: string }[];
}

export interface CardResult {
  markdown: string;
  detail: ModelDetail;
}
