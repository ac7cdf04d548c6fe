// inference/ methods of the sidecar (docs/protocol.md).

export const InferenceMethods = {
  devices: 'inference/devices',
  load: 'inference/load',
  generate: 'inference/generate',
  token: 'inference/token',
  unload: 'inference/unload',
} as const;

export type DevicePolicy = 'auto' | 'preferCpu' | 'preferGpu' | 'preferNpu' | 'maxEfficiency';

export interface LoadParams {
  modelDir: string;
  policy?: DevicePolicy;
  epLibraryPath?: string;
  threads?: number;
}

export interface LoadResult {
  sessionId: string;
  device: string;
  reason: string;
  contextLength: number;
  chatTemplate?: string;
  isChatModel: boolean;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateParams {
  sessionId: string;
  generationId: string;
  prompt?: string;
  messages?: ChatMessage[];
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  seed?: number;
  stop?: string[];
}

export interface GenerateResult {
  text: string;
  tokenIds: number[];
  promptTokens: number;
  generatedTokens: number;
  tokensPerSecond: number;
  stopReason: 'eos' | 'stop' | 'maxTokens' | 'cancelled';
}

export interface TokenNotification {
  generationId: string;
  text: string;
  tokenId: number;
}
