// Lifecycle methods and error codes of the sidecar (docs/protocol.md, backend/ModelIde.Protocol/SidecarProtocol.cs).

export const SidecarMethods = {
  initialize: 'sidecar/initialize',
  ping: 'sidecar/ping',
  echo: 'sidecar/echo',
  log: 'sidecar/log',
} as const;

export interface InitializeParams {
  endpoint: string;
  logLevel?: string;
  locale?: string;
}

export interface InitializeResult {
  version: string;
  processId: number;
  endpoint: string;
}

export interface PingResult {
  processId: number;
  uptimeMilliseconds: number;
}

export interface LogParams {
  level: string;
  message: string;
}

export const RpcErrorCodes = {
  parseError: -32700,
  invalidInput: -32001,
  authenticationRequired: -32002,
  permissionDenied: -32003,
  notFound: -32004,
  rateLimited: -32005,
  serverError: -32006,
  network: -32007,
  integrityFailure: -32008,
  unsafeInput: -32009,
  conflict: -32010,
  remoteFailure: -32011,
  diskFull: -32012,
  unknown: -32099,
  /** JSON-RPC's own code for a cancelled request (LSP convention, used by StreamJsonRpc). */
  requestCancelled: -32800,
} as const;

export interface RpcErrorData {
  kind: string;
  serverCode?: string;
  requestId?: string;
  retryAfterSeconds?: number;
}

/** Error shape vscode-jsonrpc rejects with (ResponseError) plus what we add for a dead sidecar. */
export interface SidecarErrorLike {
  code?: number;
  message?: string;
  data?: Partial<RpcErrorData> & Record<string, unknown>;
}

export function errorCode(error: unknown): number | undefined {
  return typeof (error as SidecarErrorLike)?.code === 'number' ? (error as SidecarErrorLike).code : undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  if (typeof (error as SidecarErrorLike)?.message === 'string') {
    return (error as SidecarErrorLike).message as string;
  }
  return String(error);
}

export function isCancellation(error: unknown): boolean {
  return errorCode(error) === RpcErrorCodes.requestCancelled || (error as Error)?.name === 'Canceled';
}
