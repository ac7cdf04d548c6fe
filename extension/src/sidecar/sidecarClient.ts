// Supervises the sidecar process and the JSON-RPC connection to it. No `vscode` import: the glue in
// sidecarHost.ts supplies the launch command, the log sink and the crash UI, so this runs in plain Node tests.
import { ChildProcess, spawn } from 'child_process';
import * as readline from 'readline';
import {
  CancellationToken,
  createMessageConnection,
  MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { redact } from '../common/redact';
import { RestartPolicy } from './restartPolicy';

export type SidecarState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed' | 'disposed';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface SidecarCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface CrashInfo {
  exitCode: number | null;
  signal: string | null;
  error?: string;
  willRestart: boolean;
  restartDelayMs: number;
  crashesInWindow: number;
}

export type RawSend = <R>(method: string, params?: unknown) => Promise<R>;

export interface SidecarClientOptions {
  /** Called for every (re)start: the command line to run (serve arguments included). */
  launch: () => SidecarCommand;
  log: (level: LogLevel, message: string) => void;
  /** Runs after every (re)start before any queued request: initialize, re-activate the auth session. */
  onStarted?: (send: RawSend) => Promise<void>;
  onCrash?: (info: CrashInfo) => void;
  onStateChanged?: (state: SidecarState) => void;
  policy?: RestartPolicy;
  now?: () => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class SidecarUnavailableError extends Error {
  readonly code = -32098;
  constructor(message: string) {
    super(message);
    this.name = 'SidecarUnavailableError';
  }
}

interface Generation {
  readonly process: ChildProcess;
  readonly connection: MessageConnection;
  readonly onDeath: Set<(error: Error) => void>;
  dead: boolean;
  exitCode?: number | null;
  signal?: string | null;
}

type NotificationHandler = (params: any) => void;

export class SidecarClient {
  private state: SidecarState = 'stopped';
  private current: Promise<Generation> | undefined;
  private live: Generation | undefined;
  private restartTimer: unknown;
  private readonly policy: RestartPolicy;
  private readonly handlers = new Map<string, Set<NotificationHandler>>();
  private startCount = 0;

  constructor(private readonly options: SidecarClientOptions) {
    this.policy = options.policy ?? new RestartPolicy();
  }

  get currentState(): SidecarState {
    return this.state;
  }

  /** Process id of the running sidecar, if any. */
  get processId(): number | undefined {
    return this.live && !this.live.dead ? this.live.process.pid : undefined;
  }

  /** How many times a sidecar process has been started (1 + restarts). */
  get starts(): number {
    return this.startCount;
  }

  /** Sends a request once a sidecar is running (starting one if needed). Fails clearly if it dies meanwhile. */
  async request<R>(method: string, params?: unknown, token?: CancellationToken): Promise<R> {
    const generation = await this.ready();
    return this.send<R>(generation, method, params, token);
  }

  /** Sends a notification to the running sidecar; none is started for it (there is nothing to tell a new one). */
  notifyIfRunning(method: string, params: unknown): void {
    const generation = this.live;
    if (this.state === 'running' && generation && !generation.dead) {
      void generation.connection.sendNotification(method, params).catch((error: Error) => this.options.log('debug', redact(`Sidecar notification ${method} failed: ${error.message}`)));
    }
  }

  /** Handlers survive restarts. */
  onNotification(method: string, handler: NotificationHandler): { dispose(): void } {
    let set = this.handlers.get(method);
    if (!set) {
      set = new Set();
      this.handlers.set(method, set);
    }
    set.add(handler);
    return { dispose: () => set!.delete(handler) };
  }

  /** Stops the running process (if any) and starts a fresh one. */
  async restart(): Promise<void> {
    this.stopProcess();
    this.policy.reset();
    this.current = undefined;
    this.setState('stopped');
    await this.ready();
  }

  dispose(): void {
    if (this.state === 'disposed') {
      return;
    }
    this.setState('disposed');
    this.stopProcess();
    this.current = undefined;
  }

  private ready(): Promise<Generation> {
    switch (this.state) {
      case 'disposed':
        return Promise.reject(new SidecarUnavailableError('The ModelScope sidecar has been shut down.'));
      case 'failed':
        return Promise.reject(
          new SidecarUnavailableError(
            'The ModelScope sidecar stopped after crashing repeatedly. Run "ModelScope: Restart Sidecar" to try again.',
          ),
        );
      case 'stopped':
        this.current = this.launch();
        return this.current;
      default:
        return this.current ?? (this.current = this.launch());
    }
  }

  private async launch(): Promise<Generation> {
    this.setState('starting');
    let command: SidecarCommand;
    try {
      command = this.options.launch();
    } catch (error) {
      // Nothing to supervise (no sidecar found): the next request tries again.
      this.current = undefined;
      this.setState('stopped');
      throw error;
    }
    const { args, env, cwd } = command;
    this.options.log('info', redact(`Starting sidecar: ${command.command} ${args.join(' ')}`));
    const child = spawn(command.command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env, cwd, windowsHide: true });
    this.startCount++;
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const generation: Generation = { process: child, connection, onDeath: new Set(), dead: false };
    this.live = generation;

    connection.onNotification((method: string, params: unknown) => this.dispatch(method, params));
    connection.onError(([error]) => this.options.log('debug', redact(`Sidecar connection error: ${error.message}`)));
    connection.listen();

    readline.createInterface({ input: child.stderr! }).on('line', (line) => this.logStderr(line));
    child.stdin!.on('error', () => {
      /* EPIPE after the process died; the exit handler reports it. */
    });
    child.once('exit', (code, signal) => this.onExit(generation, code, signal));
    child.once('error', (error) => this.onExit(generation, null, null, error));

    try {
      await this.options.onStarted?.((method, params) => this.send(generation, method, params));
    } catch (error) {
      if (generation.dead) {
        throw error;
      }
      this.options.log('warn', redact(`Sidecar start-up call failed: ${(error as Error).message}`));
    }
    if (generation.dead) {
      throw this.deathError(generation);
    }
    this.setState('running');
    return generation;
  }

  private send<R>(generation: Generation, method: string, params: unknown, token?: CancellationToken): Promise<R> {
    if (generation.dead) {
      return Promise.reject(this.deathError(generation));
    }
    return new Promise<R>((resolve, reject) => {
      const onDeath = (error: Error) => reject(error);
      generation.onDeath.add(onDeath);
      // vscode-jsonrpc treats every extra argument as a parameter: pass only what is there.
      const c = generation.connection;
      const pending =
        params === undefined
          ? token
            ? c.sendRequest<R>(method, token)
            : c.sendRequest<R>(method)
          : token
            ? c.sendRequest<R>(method, params, token)
            : c.sendRequest<R>(method, params);
      pending.then(
        (value) => {
          generation.onDeath.delete(onDeath);
          resolve(value);
        },
        (error: unknown) => {
          if (typeof (error as { code?: unknown })?.code === 'number' || generation.dead) {
            generation.onDeath.delete(onDeath);
            reject(generation.dead && typeof (error as { code?: unknown })?.code !== 'number' ? this.deathError(generation) : error);
            return;
          }
          // A write that failed because the process is dying: report the death, not the broken pipe.
          setTimeout(() => {
            generation.onDeath.delete(onDeath);
            reject(generation.dead ? this.deathError(generation) : error);
          }, 500);
        },
      );
    });
  }

  private onExit(generation: Generation, exitCode: number | null, signal: string | null, error?: Error): void {
    if (generation.dead) {
      return;
    }
    generation.dead = true;
    generation.exitCode = exitCode;
    generation.signal = signal;
    const deathError = this.deathError(generation, error);
    for (const reject of [...generation.onDeath]) {
      reject(deathError);
    }
    generation.onDeath.clear();
    generation.connection.dispose();
    if (this.live === generation) {
      this.live = undefined;
    }
    if (this.state === 'disposed' || (generation as { stopping?: boolean }).stopping) {
      return;
    }

    const decision = this.policy.recordCrash((this.options.now ?? Date.now)());
    this.options.log(
      'error',
      redact(
        `Sidecar exited unexpectedly (code ${exitCode ?? '-'}, signal ${signal ?? '-'}${error ? `, ${error.message}` : ''}); ` +
          (decision.restart ? `restarting in ${decision.delayMs} ms` : `giving up after ${decision.crashesInWindow} crashes`),
      ),
    );
    this.options.onCrash?.({
      exitCode,
      signal,
      error: error?.message,
      willRestart: decision.restart,
      restartDelayMs: decision.delayMs,
      crashesInWindow: decision.crashesInWindow,
    });
    if (!decision.restart) {
      this.current = undefined;
      this.setState('failed');
      return;
    }
    this.setState('restarting');
    const next = new Promise<void>((resolve) => {
      const setTimer = this.options.setTimer ?? ((cb: () => void, ms: number) => setTimeout(cb, ms));
      this.restartTimer = setTimer(() => {
        this.restartTimer = undefined;
        resolve();
      }, decision.delayMs);
    }).then(() => {
      if (this.state !== 'restarting') {
        throw new SidecarUnavailableError('The ModelScope sidecar has been shut down.');
      }
      return this.launch();
    });
    next.catch(() => {
      /* surfaced to whoever awaits it; a crash at start is handled by onExit */
    });
    this.current = next;
  }

  private deathError(generation: Generation, error?: Error): SidecarUnavailableError {
    if ((generation as { stopping?: boolean }).stopping) {
      return new SidecarUnavailableError('The ModelScope sidecar was stopped (restart or shutdown); the request did not complete.');
    }
    const how = error
      ? error.message
      : generation.signal
        ? `signal ${generation.signal}`
        : `exit code ${generation.exitCode ?? 'unknown'}`;
    return new SidecarUnavailableError(
      redact(`The ModelScope sidecar stopped unexpectedly (${how}); the request did not complete. It is being restarted, please retry.`),
    );
  }

  private stopProcess(): void {
    const timer = this.restartTimer;
    if (timer !== undefined) {
      (this.options.clearTimer ?? ((h: unknown) => clearTimeout(h as NodeJS.Timeout)))(timer);
      this.restartTimer = undefined;
    }
    const generation = this.live;
    if (!generation) {
      return;
    }
    (generation as { stopping?: boolean }).stopping = true;
    this.live = undefined;
    const child = generation.process;
    // Closing stdin lets the sidecar end its connection; kill it if it lingers.
    child.stdin?.end();
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 2000);
    killTimer.unref();
    child.once('exit', () => clearTimeout(killTimer));
    child.kill('SIGTERM');
    this.onExit(generation, null, 'SIGTERM');
  }

  private dispatch(method: string, params: unknown): void {
    for (const handler of this.handlers.get(method) ?? []) {
      try {
        handler(params);
      } catch (error) {
        this.options.log('error', redact(`Handler for ${method} failed: ${(error as Error).message}`));
      }
    }
  }

  private stderrLevel: LogLevel = 'info';

  /** `[level] message` starts an entry; an indented line (an exception's stack) belongs to the entry above it. */
  private logStderr(line: string): void {
    const match = /^\[(trace|debug|info|warn|warning|error|fail|crit)\]\s?(.*)$/i.exec(line);
    if (match) {
      this.stderrLevel = toLevel(match[1]);
      this.options.log(this.stderrLevel, redact(match[2]));
    } else if (/^\s/.test(line) && line.trim()) {
      this.options.log(this.stderrLevel, redact(line));
    } else if (line.trim()) {
      this.stderrLevel = 'info';
      this.options.log('info', redact(line));
    }
  }

  private setState(state: SidecarState): void {
    if (this.state !== state) {
      this.state = state;
      this.options.onStateChanged?.(state);
    }
  }
}

export function toLevel(level: string | undefined): LogLevel {
  switch ((level ?? '').toLowerCase()) {
    case 'trace':
      return 'trace';
    case 'debug':
      return 'debug';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'error':
    case 'fail':
    case 'crit':
    case 'critical':
      return 'error';
    default:
      return 'info';
  }
}
