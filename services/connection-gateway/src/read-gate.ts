// Pauses a transport's reading for as long as any limiter asks, and resumes it when all are done.
// Holds are timed (rate limits: resume after ms) or untimed (backpressure: resume when released).
// The transport keeps a pause across STARTTLS itself (socket-transport.ts).

export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

export class ReadGate {
  /**
   * Per reason: the timer of a timed hold, null for an untimed one. Made at the first hold and
   * dropped when the last ends: an empty Map is about 190 B, and most connections are never held.
   */
  private holds: Map<string, NodeJS.Timeout | null> | null = null;

  constructor(private readonly target: Pausable) {}

  /** Stops reading for `ms` on behalf of `reason`; a longer hold for the same reason replaces it. */
  hold(reason: string, ms: number): void {
    if (ms <= 0) return;
    this.holds ??= new Map();
    const previous = this.holds.get(reason);
    if (previous) clearTimeout(previous);
    this.holds.set(reason, setTimeout(() => this.release(reason), ms));
    this.target.pause();
  }

  /** Stops reading on behalf of `reason` until release(reason). */
  holdUntilReleased(reason: string): void {
    this.holds ??= new Map();
    const previous = this.holds.get(reason);
    if (previous) clearTimeout(previous);
    this.holds.set(reason, null);
    this.target.pause();
  }

  /** Ends `reason`'s hold; reading resumes once no other hold remains. */
  release(reason: string): void {
    if (!this.holds?.has(reason)) return;
    const timer = this.holds.get(reason);
    if (timer) clearTimeout(timer);
    this.holds.delete(reason);
    if (this.holds.size === 0) {
      this.holds = null;
      this.target.resume();
    }
  }

  isPaused(): boolean {
    return this.holds !== null;
  }

  isHeld(reason: string): boolean {
    return this.holds?.has(reason) ?? false;
  }

  clear(): void {
    for (const timer of this.holds?.values() ?? []) if (timer) clearTimeout(timer);
    this.holds = null;
  }
}
