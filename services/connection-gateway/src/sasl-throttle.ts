// Per-IP SASL failure counter (docs/architecture.md "Limits": per IP at most 20 failures per 5
// minutes, then throttled). There is deliberately no per-account lockout: it would let
// anyone lock out any user. The same sliding window counts registrations per IP (XEP-0077).

const FIVE_MINUTES_MS = 5 * 60_000;

export class SaslThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs: number = FIVE_MINUTES_MS,
  ) {}

  isThrottled(ip: string): boolean {
    return this.recent(ip).length >= this.maxFailures;
  }

  recordFailure(ip: string): void {
    const times = this.recent(ip);
    times.push(this.now());
    this.failures.set(ip, times);
  }

  private recent(ip: string): number[] {
    const at = this.now();
    const times = (this.failures.get(ip) ?? []).filter((t) => at - t < this.windowMs);
    if (times.length === 0) this.failures.delete(ip);
    else this.failures.set(ip, times);
    return times;
  }
}
