// Reading the errors a sidecar request rejects with (vscode-jsonrpc's ResponseError, or our SidecarUnavailableError).
import { RpcErrorCodes, RpcErrorData } from './protocol.generated';

/** Error shape vscode-jsonrpc rejects with (ResponseError) plus what we add for a dead sidecar. */
export interface SidecarErrorLike {
  code?: number;
  message?: string;
  data?: Partial<RpcErrorData>;
}

export function errorCode(error: unknown): number | undefined {
  return typeof (error as SidecarErrorLike)?.code === 'number' ? (error as SidecarErrorLike).code : undefined;
}

/** The typed `data` of a sidecar error, when there is one. */
export function errorData(error: unknown): Partial<RpcErrorData> | undefined {
  const data = (error as SidecarErrorLike)?.data;
  return data && typeof data === 'object' ? data : undefined;
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
