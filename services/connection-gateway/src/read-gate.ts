// Pauses a transport's reading for as long as any limiter asks, and resumes it when all are done.
// The transport keeps a pause across STARTTLS itself (socket-transport.ts).

export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

export class ReadGate {
  private readonly holds = new Map<string, NodeJS.Timeout>();

  constructor(private readonly target: Pausable) {}

  /** Stops reading for `ms` on behalf of `reason`; a longer hold for the same reason replaces it. */
  hold(reason: string, ms: number): void {
    if (ms <= 0) return;
    const previous = this.holds.get(reason);
    if (previous) clearTimeout(previous);
    this.holds.set(reason, setTimeout(() => this.release(reason), ms));
    this.target.pause();
  }

  isPaused(): boolean {
    return this.holds.size > 0;
  }

  clear(): void {
    for (const timer of this.holds.values()) clearTimeout(timer);
    this.holds.clear();
  }

  private release(reason: string): void {
    this.holds.delete(reason);
    if (this.holds.size === 0) this.target.resume();
  }
}
