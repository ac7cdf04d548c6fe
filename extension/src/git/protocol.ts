// git/ methods of the sidecar (docs/protocol.md).

export const GitMethods = {
  clone: 'git/clone',
  progress: 'git/progress',
} as const;

export interface GitCloneParams {
  modelId: string;
  targetDir: string;
  revision?: string;
}

export interface GitCloneResult {
  path: string;
}

export interface GitProgressParams {
  modelId: string;
  phase: string;
  percent: number;
  done?: number;
  total?: number;
}
