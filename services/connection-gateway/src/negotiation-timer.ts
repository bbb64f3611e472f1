// Unauthenticated connections get negotiationStepMs per step and negotiationTotalMs in all
// until the resource is bound (docs/architecture.md "Limits": 10 s per step, 60 s in all).

export class NegotiationTimer {
  private step: NodeJS.Timeout | null = null;
  private total: NodeJS.Timeout | null;

  constructor(
    private readonly stepMs: number,
    totalMs: number,
    private readonly onExpired: () => void,
  ) {
    this.total = setTimeout(onExpired, totalMs);
    this.progress();
  }

  /** The client made a step (stream header, negotiation element): restart the step timer. */
  progress(): void {
    if (this.total === null) return;
    if (this.step) clearTimeout(this.step);
    this.step = setTimeout(this.onExpired, this.stepMs);
  }

  /** Negotiation finished (or the connection closed). */
  done(): void {
    if (this.step) clearTimeout(this.step);
    if (this.total) clearTimeout(this.total);
    this.step = null;
    this.total = null;
  }
}
