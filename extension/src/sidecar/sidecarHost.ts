// VS Code glue for the sidecar: where to find it, where its log goes, how a crash is shown.
import * as fs from 'fs';
import * as vscode from 'vscode';
import { CancellationToken, NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc/node';
import { redact } from '../common/redact';
import { options } from '../options';
import { InitializeResult, RpcErrorData, SidecarLogLevel, SidecarMethods } from './protocol.generated';
import { LogLevel, RawSend, SidecarClient, SidecarState } from './sidecarClient';
import { locateSidecar, serveArguments } from './sidecarLocator';

/** Sends one request of the generated contract (start hooks run before any other request reaches the sidecar). */
export type TypedSend = <P, R>(type: RequestType<P, R, RpcErrorData>, params: P) => Promise<R>;
export type StartHook = (send: TypedSend) => Promise<void>;

/** What features use: one request API that waits for a running sidecar, and notifications that survive restarts. */
export class SidecarHost implements vscode.Disposable {
  readonly client: SidecarClient;
  private readonly startHooks: StartHook[] = [];
  private readonly launchEnvironments: Array<() => Record<string, string>> = [];
  private readonly stateEmitter = new vscode.EventEmitter<SidecarState>();
  readonly onDidChangeState = this.stateEmitter.event;
  lastInitialize: InitializeResult | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    private readonly endpoint: () => string,
  ) {
    this.client = new SidecarClient({
      launch: () => this.launch(),
      log: (level, message) => this.write(level, message),
      onStarted: (send) => this.runStartHooks(send),
      onCrash: (info) => {
        if (info.willRestart) {
          void this.showCrash(
            vscode.l10n.t('The ModelScope sidecar stopped unexpectedly and is being restarted.'),
          );
        } else {
          void this.showCrash(
            vscode.l10n.t('The ModelScope sidecar crashed {0} times in 3 minutes and will not be restarted.', info.crashesInWindow),
            true,
          );
        }
      },
      onStateChanged: (state) => this.stateEmitter.fire(state),
    });
    // The sidecar's log level follows the output channel's ("Set Log Level..." on the ModelScope channel) without a
    // restart; a sidecar started later gets the level on its command line and in sidecar/initialize.
    log.onDidChangeLogLevel(() => this.client.notifyIfRunning(SidecarMethods.setLogLevel.method, { level: this.logLevel() }));
  }

  /** A request of the generated contract, sent once a sidecar is running (starting one if needed). */
  request<P, R>(type: RequestType<P, R, RpcErrorData>, params: P, token?: vscode.CancellationToken): Promise<R>;
  request<R>(type: RequestType0<R, RpcErrorData>, token?: vscode.CancellationToken): Promise<R>;
  request<R>(type: { method: string; numberOfParams: number }, paramsOrToken?: unknown, token?: vscode.CancellationToken): Promise<R> {
    return type.numberOfParams === 0
      ? this.client.request<R>(type.method, undefined, paramsOrToken as CancellationToken | undefined)
      : this.client.request<R>(type.method, paramsOrToken, token as CancellationToken | undefined);
  }

  /** A notification of the generated contract; the handler survives restarts. */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable {
    return this.client.onNotification(type.method, handler);
  }

  /** Variables set for every (re)start, read at launch (e.g. the hosts allowed over plain http). */
  addLaunchEnvironment(variables: () => Record<string, string>): void {
    this.launchEnvironments.push(variables);
  }

  /** Runs after every (re)start, after sidecar/initialize (e.g. re-activating the signed-in session). */
  addStartHook(hook: StartHook): void {
    this.startHooks.push(hook);
  }

  async restart(): Promise<void> {
    await this.client.restart();
  }

  dispose(): void {
    this.client.dispose();
    this.stateEmitter.dispose();
  }

  private launch() {
    const launch = locateSidecar({
      settingPath: options.sidecarPath(),
      envPath: process.env.MODELIDE_SIDECAR,
      extensionPath: this.context.extensionPath,
      platform: process.platform,
      exists: (f) => fs.existsSync(f),
    });
    if (!launch) {
      throw new Error(
        vscode.l10n.t('The ModelScope sidecar was not found. Set "modelscope.sidecarPath" or reinstall the extension.'),
      );
    }
    const env = Object.assign({ ...process.env }, ...this.launchEnvironments.map((variables) => variables()));
    return { command: launch.command, args: serveArguments(launch, process.pid, this.endpoint(), this.logLevel()), env };
  }

  private logLevel(): SidecarLogLevel {
    switch (this.log.logLevel) {
      case vscode.LogLevel.Trace:
        return 'trace';
      case vscode.LogLevel.Debug:
        return 'debug';
      case vscode.LogLevel.Warning:
        return 'warn';
      case vscode.LogLevel.Error:
        return 'error';
      default:
        return 'info';
    }
  }

  private async runStartHooks(raw: RawSend): Promise<void> {
    const send: TypedSend = (type, params) => raw(type.method, params);
    this.lastInitialize = await send(SidecarMethods.initialize, {
      endpoint: this.endpoint(),
      logLevel: this.logLevel(),
      locale: vscode.env.language,
    });
    this.log.info(`Sidecar ${this.lastInitialize.version} (pid ${this.lastInitialize.processId}) ready for ${this.lastInitialize.endpoint}`);
    for (const hook of this.startHooks) {
      try {
        await hook(send);
      } catch (error) {
        this.log.warn(redact(`Start-up step failed: ${(error as Error).message}`));
      }
    }
  }

  private write(level: LogLevel, message: string): void {
    const text = redact(message);
    switch (level) {
      case 'trace':
        this.log.trace(text);
        break;
      case 'debug':
        this.log.debug(text);
        break;
      case 'warn':
        this.log.warn(text);
        break;
      case 'error':
        this.log.error(text);
        break;
      default:
        this.log.info(text);
    }
  }

  private async showCrash(message: string, gaveUp = false): Promise<void> {
    const showLog = vscode.l10n.t('Show Log');
    const restart = vscode.l10n.t('Restart');
    const choice = await vscode.window.showErrorMessage(message, ...(gaveUp ? [showLog, restart] : [showLog]));
    if (choice === showLog) {
      this.log.show();
    } else if (choice === restart) {
      await this.restart();
    }
  }
}
