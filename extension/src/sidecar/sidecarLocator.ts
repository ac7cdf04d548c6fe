// Finds the sidecar to start: a setting or MODELIDE_SIDECAR, then the bundled self-contained `modelide-sidecar`,
// then a bundled framework-dependent dll, then (development) the repository's build in .build/cli. The `modelide`
// CLI can stand in for the sidecar (`modelide serve`, the same host plus the local hub).
import * as path from 'path';

export interface SidecarLaunch {
  command: string;
  args: string[];
  /** The `modelide` CLI, which needs `serve` first; `modelide-sidecar` is the sidecar itself. */
  cli: boolean;
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

export const sidecarName = 'modelide-sidecar';

function launchFor(file: string, dotnet: string, source: SidecarLaunch['source']): SidecarLaunch {
  const cli = path.basename(file).replace(/\.(dll|exe)$/i, '').toLowerCase() === 'modelide';
  return file.toLowerCase().endsWith('.dll') ? { command: dotnet, args: [file], cli, source } : { command: file, args: [], cli, source };
}

export function locateSidecar(input: SidecarLocatorInput): SidecarLaunch | undefined {
  const dotnet = input.dotnet ?? 'dotnet';
  if (input.settingPath && input.settingPath.trim()) {
    return launchFor(input.settingPath.trim(), dotnet, 'setting');
  }
  if (input.envPath && input.envPath.trim()) {
    return launchFor(input.envPath.trim(), dotnet, 'env');
  }
  const bundled = path.join(input.extensionPath, 'sidecar');
  const exe = path.join(bundled, input.platform === 'win32' ? `${sidecarName}.exe` : sidecarName);
  if (input.exists(exe)) {
    return { command: exe, args: [], cli: false, source: 'bundled' };
  }
  const dll = path.join(bundled, `${sidecarName}.dll`);
  if (input.exists(dll)) {
    return { command: dotnet, args: [dll], cli: false, source: 'bundledDll' };
  }
  // `./modelide` builds the CLI into .build/cli, and the sidecar with it.
  for (const name of [sidecarName, 'modelide']) {
    const repoDll = path.normalize(path.join(input.extensionPath, '..', '.build', 'cli', `${name}.dll`));
    if (input.exists(repoDll)) {
      return { command: dotnet, args: [repoDll], cli: name === 'modelide', source: 'repository' };
    }
  }
  return undefined;
}

export function serveArguments(launch: SidecarLaunch, clientProcessId: number, endpoint: string, logLevel?: string): string[] {
  const args = [...launch.args, ...(launch.cli ? ['serve'] : []), '--clientProcessId', String(clientProcessId), '--endpoint', endpoint];
  if (logLevel) {
    args.push('--log-level', logLevel);
  }
  return args;
}
