// Every `modelscope.*` setting the extension reads, in one place, and the list of those that only take effect
// after the sidecar restarts (the sidecar gets them on its command line or in sidecar/initialize).
import * as vscode from 'vscode';
import { normalizeEndpoint } from './auth/signInFlow';
import type { DevicePolicyKind } from './sidecar/protocol.generated';

const section = 'modelscope';
const config = () => vscode.workspace.getConfiguration(section);

/** Settings whose change restarts the sidecar (like vscode-csharp's options that trigger a server restart). */
export const settingsRequiringSidecarRestart = [`${section}.endpoint`, `${section}.sidecarPath`] as const;

export function needsSidecarRestart(event: vscode.ConfigurationChangeEvent): boolean {
  return settingsRequiringSidecarRestart.some((s) => event.affectsConfiguration(s));
}

export const options = {
  /** The hub the extension talks to, without a trailing slash. */
  endpoint: (): string => normalizeEndpoint(config().get<string>('endpoint') || 'https://modelscope.cn'),
  organizations: (): string[] => config().get<string[]>('organizations') ?? [],
  setOrganizations: (organizations: string[]): Thenable<void> =>
    config().update('organizations', organizations, vscode.ConfigurationTarget.Global),
  /** An empty setting is kept: browser sign-in then says the client id must be set. */
  oauthClientId: (): string => config().get<string>('oauth.clientId') ?? 'modelide',
  oauthScopes: (): string[] => config().get<string[]>('oauth.scopes') ?? ['openid', 'profile'],
  /** Empty means the ModelScope SDK's default cache. */
  cacheDir: (): string | undefined => config().get<string>('cacheDir') || undefined,
  /** Downloads serve the cache without asking the hub, and the Models view shows only cached models. */
  offline: (): boolean => config().get<boolean>('offline') ?? false,
  devicePolicy: (): DevicePolicyKind => config().get<DevicePolicyKind>('inference.devicePolicy') ?? 'auto',
  epLibraryPath: (): string | undefined => config().get<string>('inference.epLibraryPath') || undefined,
  /** Which ONNX file of a model folder the playground runs (relative to the folder); empty lets the sidecar choose. */
  modelFile: (): string | undefined => config().get<string>('inference.modelFile')?.trim() || undefined,
  /** A folder searched first for the CUDA 13 / cuDNN 9 libraries; empty means the usual places. */
  cudaPath: (): string | undefined => config().get<string>('inference.cudaPath') || undefined,
  /** Where "Enable GPU (CUDA)" downloads the GPU runtime from; empty means MODELIDE_GPU_PACKAGE_SOURCE, else nuget.org. */
  gpuPackageSource: (): string | undefined => config().get<string>('gpu.packageSource') || undefined,
  sidecarPath: (): string | undefined => config().get<string>('sidecarPath') || undefined,
  /** Hosts a token may go to over plain http (auth/plainHttpConsent restarts the sidecar when they change). */
  allowHttpHosts: (): string[] => {
    const hosts = config().get<unknown>('allowHttpHosts');
    return Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === 'string') : [];
  },
  setAllowHttpHosts: (hosts: string[]): Thenable<void> => config().update('allowHttpHosts', hosts, vscode.ConfigurationTarget.Global),
};
