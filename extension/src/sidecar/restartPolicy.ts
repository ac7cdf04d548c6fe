// When to restart a crashed sidecar: like the C# extension, give up after 5 crashes in 3 minutes;
// back off between attempts so a sidecar that dies at start does not spin.

export interface RestartDecision {
  restart: boolean;
  delayMs: number;
  crashesInWindow: number;
}

export interface RestartPolicyOptions {
  maxCrashes: number;
  windowMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const defaultRestartPolicy: RestartPolicyOptions = {
  maxCrashes: 5,
  windowMs: 3 * 60 * 1000,
  initialDelayMs: 500,
  maxDelayMs: 8000,
};

export class RestartPolicy {
  private crashes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = defaultRestartPolicy) {}

  recordCrash(now: number): RestartDecision {
    this.crashes = this.crashes.filter((t) => now - t < this.options.windowMs);
    this.crashes.push(now);
    const count = this.crashes.length;
    if (count >= this.options.maxCrashes) {
      return { restart: false, delayMs: 0, crashesInWindow: count };
    }
    const delayMs = Math.min(this.options.initialDelayMs * 2 ** (count - 1), this.options.maxDelayMs);
    return { restart: true, delayMs, crashesInWindow: count };
  }

  reset(): void {
    this.crashes = [];
  }
}
