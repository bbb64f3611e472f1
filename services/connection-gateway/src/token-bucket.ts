// A token bucket that may go into debt: callers take what they consumed (bytes already read,
// a stanza already parsed) and learn how long to stop reading. Nothing is ever dropped; the
// limit is enforced by pausing the source (docs/architecture.md "Limits": pause reading, don't drop).

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `n` tokens and returns the milliseconds until the balance is back to zero (0: go on). */
  take(n: number): number {
    this.refill();
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  private refill(): void {
    const at = this.now();
    const earned = ((at - this.last) / 1000) * this.ratePerSecond;
    this.tokens = Math.min(this.burst, this.tokens + earned);
    this.last = at;
  }
}
