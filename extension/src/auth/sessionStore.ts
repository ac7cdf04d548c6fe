// The only place sessions are persisted: SecretStorage (one JSON entry), kept in step with other windows.
import * as vscode from 'vscode';
import { AuthSession } from '../sidecar/protocol.generated';

const key = 'modelscope.sessions';

interface StoredSessions {
  sessions: AuthSession[];
  /** Active session per endpoint. */
  active: Record<string, string>;
}

export class SessionStore implements vscode.Disposable {
  private cache: StoredSessions | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  /** Fires when the stored sessions change, here or in another window. */
  readonly onDidChange = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = secrets.onDidChange((e) => {
      if (e.key === key) {
        this.cache = undefined;
        this.emitter.fire();
      }
    });
  }

  async all(): Promise<AuthSession[]> {
    return (await this.read()).sessions;
  }

  async activeId(endpoint: string): Promise<string | undefined> {
    return (await this.read()).active[endpoint];
  }

  async save(session: AuthSession, makeActive = true): Promise<void> {
    const data = await this.read();
    data.sessions = data.sessions.filter((s) => s.id !== session.id);
    data.sessions.push(session);
    if (makeActive) {
      data.active[session.endpoint] = session.id;
    }
    await this.write(data);
  }

  async setActive(endpoint: string, id: string): Promise<void> {
    const data = await this.read();
    data.active[endpoint] = id;
    await this.write(data);
  }

  async remove(id: string): Promise<AuthSession | undefined> {
    const data = await this.read();
    const removed = data.sessions.find((s) => s.id === id);
    data.sessions = data.sessions.filter((s) => s.id !== id);
    for (const [endpoint, active] of Object.entries(data.active)) {
      if (active === id) {
        delete data.active[endpoint];
      }
    }
    await this.write(data);
    return removed;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }

  private async read(): Promise<StoredSessions> {
    if (!this.cache) {
      const raw = await this.secrets.get(key);
      let parsed: StoredSessions = { sessions: [], active: {} };
      try {
        if (raw) {
          const value = JSON.parse(raw) as Partial<StoredSessions>;
          parsed = { sessions: Array.isArray(value.sessions) ? value.sessions : [], active: value.active ?? {} };
        }
      } catch {
        /* a corrupt entry is replaced on the next write */
      }
      this.cache = parsed;
    }
    return { sessions: [...this.cache.sessions], active: { ...this.cache.active } };
  }

  private async write(data: StoredSessions): Promise<void> {
    this.cache = data;
    await this.secrets.store(key, JSON.stringify(data));
    this.emitter.fire();
  }
}
