// XEP-0198 counting on the gateway, pure (no sockets, no timers): which client stanzas the private
// tier has handled (h for our <a/>), and which numbered deliveries may be written now, in order.

/** Client stanzas: each gets the next count; it is handled once the router acknowledged its envelope. */
export class InboundCount {
  private pending: { upstream: number; h: number }[] = [];
  private last = 0;
  /** The highest envelope seq the router has acknowledged. */
  private ackedSeq = 0;
  handled = 0;

  /** `ackedSeq`: the envelopes the router had acknowledged when counting started. */
  constructor(start = 0, ackedSeq = 0) {
    this.last = start;
    this.handled = start;
    this.ackedSeq = ackedSeq;
  }

  /** Client stanzas counted so far: the h our <a/> gives once all of them are handled. */
  get counted(): number {
    return this.last;
  }

  /** The next client stanza; `upstream` is the envelope seq after which it counts as handled. */
  next(upstream: number): number {
    this.last += 1;
    this.pending.push({ upstream, h: this.last });
    // Handled at the gateway after envelopes the router has already acknowledged: handled now.
    this.acked(this.ackedSeq);
    return this.last;
  }

  /** The router acknowledged every envelope up to `seq`. */
  acked(seq: number): void {
    this.ackedSeq = Math.max(this.ackedSeq, seq);
    while (this.pending.length > 0 && this.pending[0]!.upstream <= seq) this.handled = this.pending.shift()!.h;
  }
}

/**
 * Numbered deliveries (seq from the SmStore) arrive from several publishers in any order; they
 * are written strictly in sequence, so the client's h is the sequence number. Also keeps the
 * written, unacknowledged stanzas: their sizes for the queue limit, and the numbered ones' text,
 * which the private tier needs back should its store lose them (docs/redis-loss.md).
 */
export class OutboundQueue {
  private readonly early = new Map<number, string>();
  private sizes: number[] = [];
  /** The text of each written, unacknowledged stanza; null for one counted without a number. */
  private texts: (string | null)[] = [];
  private bytes = 0;

  /** `written`: the last seq written; `acked`: the client's h (unwrapped). */
  constructor(public written = 0, public acked = 0) {}

  /** Takes a delivery; returns those that may be written now, in order. */
  take(seq: number, xml: string): { seq: number; xml: string }[] {
    if (seq <= this.written || this.early.has(seq)) return []; // already written or waiting: a resend
    this.early.set(seq, xml);
    const out: { seq: number; xml: string }[] = [];
    for (let next = this.written + 1; this.early.has(next); next++) {
      out.push({ seq: next, xml: this.early.get(next)! });
      this.early.delete(next);
      this.wrote(next, Buffer.byteLength(out.at(-1)!.xml), out.at(-1)!.xml);
    }
    return out;
  }

  /** An unnumbered stanza written (a session without resumption counts locally). */
  wroteNext(size: number): void {
    this.wrote(this.written + 1, size, null);
  }

  /** Deliveries waiting for an earlier one. */
  waiting(): number {
    return this.early.size;
  }

  /** The client acknowledged up to `upTo` (unwrapped); false if that is more than was written. */
  ack(upTo: number): boolean {
    if (upTo > this.written) return false;
    const n = Math.max(0, upTo - this.acked);
    for (const size of this.sizes.splice(0, n)) this.bytes -= size;
    this.texts.splice(0, n);
    this.acked = Math.max(this.acked, upTo);
    return true;
  }

  unacked(): { stanzas: number; bytes: number } {
    return { stanzas: this.sizes.length, bytes: this.bytes };
  }

  /** The written, unacknowledged stanzas numbered acked+1 ... written; null if one had no number. */
  held(): { seq: number; xml: string }[] | null {
    if (this.texts.some((t) => t === null)) return null;
    return this.texts.map((xml, i) => ({ seq: this.acked + 1 + i, xml: xml! }));
  }

  private wrote(seq: number, size: number, text: string | null): void {
    this.written = seq;
    this.sizes.push(size);
    this.texts.push(text);
    this.bytes += size;
  }
}
