// VS Code glue for plain-http hubs: asks before a token would go to one, keeps the per-host opt-in in the user's
// settings ("modelscope.allowHttpHosts" has application scope: a workspace cannot set it) and hands the allowed hosts
// to the sidecar at each start, which refuses any other plain-http host itself.
import * as vscode from 'vscode';
import { options } from '../options';
import { errorMessage } from '../sidecar/rpcErrors';
import { SidecarHost } from '../sidecar/sidecarHost';
import {
  allowHttpHostsForSidecar,
  allowHttpHostsSetting,
  allowHttpHostsVariable,
  endpointLabel,
  optInHint,
  optInHintVariable,
  plainHttpHostToAllow,
  withHostAllowed,
} from './plainHttp';

export class PlainHttpConsent implements vscode.Disposable {
  /** The value the running sidecar was started with. */
  private launchedWith: string | undefined;
  private applying: Promise<void> = Promise.resolve();
  private readonly subscription: vscode.Disposable;
  private readonly warned = new Set<string>();

  constructor(private readonly sidecar: SidecarHost) {
    sidecar.addLaunchEnvironment(() => {
      this.launchedWith = this.sidecarValue();
      return { [allowHttpHostsVariable]: this.launchedWith, [optInHintVariable]: optInHint };
    });
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`modelscope.${allowHttpHostsSetting}`)) {
        void this.apply();
      }
    });
  }

  private allowed(): string[] {
    return options.allowHttpHosts();
  }

  private sidecarValue(): string {
    return allowHttpHostsForSidecar(process.env[allowHttpHostsVariable], this.allowed());
  }

  /** Restarts the sidecar when the allowed hosts changed since it started; serialized, so one change restarts it once. */
  apply(): Promise<void> {
    this.applying = this.applying
      .then(async () => {
        const state = this.sidecar.client.currentState;
        if (this.launchedWith !== undefined && this.launchedWith !== this.sidecarValue() && (state === 'running' || state === 'starting')) {
          await this.sidecar.restart();
        }
      })
      .catch((error) => this.sidecar.log.warn(`Restart for the plain-HTTP hosts failed: ${errorMessage(error)}`));
    return this.applying;
  }

  /**
   * True when a token may go to `endpoint` now: https, this machine, or a host the user allowed. For any other
   * plain-http hub, a warning; "Allow" adds that host (with its port) to the user's settings and restarts the sidecar.
   * `modal: false` (a stored session found at start) warns once per window and does not wait for an answer.
   */
  async ensureAllowed(endpoint: string, how: { modal: boolean }): Promise<boolean> {
    const host = plainHttpHostToAllow(endpoint, [process.env[allowHttpHostsVariable] ?? '', ...this.allowed()]);
    if (!host) {
      return true;
    }
    if (!how.modal && this.warned.has(host)) {
      return false;
    }
    this.warned.add(host);
    const allow = vscode.l10n.t('Allow plain HTTP for {0}', host);
    const message = vscode.l10n.t(
      '{0} uses plain HTTP: your ModelScope token would cross the network unencrypted, and anyone on the way could read it and use your account. Use an https:// endpoint, or allow plain HTTP for {1} only if you trust every network between you and it.',
      endpointLabel(endpoint),
      host,
    );
    const ask = async (): Promise<boolean> => {
      const choice = how.modal
        ? await vscode.window.showWarningMessage(message, { modal: true }, allow)
        : await vscode.window.showWarningMessage(message, allow);
      if (choice !== allow) {
        return false;
      }
      await options.setAllowHttpHosts(withHostAllowed(this.allowed(), host));
      await this.apply();
      return true;
    };
    if (how.modal) {
      return ask();
    }
    void ask();
    return false;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
