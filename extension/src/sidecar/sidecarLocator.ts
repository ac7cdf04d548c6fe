// Finds the sidecar to start: a setting or MODELIDE_SIDECAR, then the bundled self-contained executable,
// then the bundled framework-dependent dll, then (development) the repository's .build/cli/modelide.dll.
import * as path from 'path';

export interface SidecarLaunch {
  command: string;
  args: string[];
  source: 'setting' | 'env' | 'bundled' | 'bundledDll' | 'repository';
}

export interface SidecarLocatorInput {
  settingPath?: string;
  envPath?: string;
  extensionPath: string;
  platform: NodeJS.Platform;
  exists: (file: string) => boolean;
  dotnet?: string;
}

function launchFor(file: string, dotnet: string, source: SidecarLaunch['source']): SidecarLaunch {
  return file.toLowerCase().endsWith('.dll') ? { command: dotnet, args: [file], source } : { command: file, args: [], source };
}

export function locateSidecar(input: SidecarLocatorInput): SidecarLaunch | undefined {
  const dotnet = input.dotnet ?? 'dotnet';
  if (input.settingPath && input.settingPath.trim()) {
    return launchFor(input.settingPath.trim(), dotnet, 'setting');
  }
  if (input.envPath && input.envPath.trim()) {
    return launchFor(input.envPath.trim(), dotnet, 'env');
  }
  const exe = path.join(input.extensionPath, 'sidecar', input.platform === 'win32' ? 'modelide.exe' : 'modelide');
  if (input.exists(exe)) {
    return { command: exe, args: [], source: 'bundled' };
  }
  const dll = path.join(input.extensionPath, 'sidecar', 'modelide.dll');
  if (input.exists(dll)) {
    return { command: dotnet, args: [dll], source: 'bundledDll' };
  }
  const repoDll = path.join(input.extensionPath, '..', '.build', 'cli', 'modelide.dll');
  if (input.exists(repoDll)) {
    return { command: dotnet, args: [path.normalize(repoDll)], source: 'repository' };
  }
  return undefined;
}

export function serveArguments(launch: SidecarLaunch, clientProcessId: number, endpoint: string, logLevel?: string): string[] {
  const args = [...launch.args, 'serve', '--clientProcessId', String(clientProcessId), '--endpoint', endpoint];
  if (logLevel) {
    args.push('--log-level', logLevel);
  }
  return args;
}
