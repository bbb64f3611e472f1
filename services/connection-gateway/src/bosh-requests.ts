// The HTTP requests of one BOSH session: those held open for the server's next payload
// (XEP-0124 §8, at most `hold`, each answered empty after `wait`) and the responses kept for
// retransmission (§14.3: a request whose response was lost gets the same response again).
import type { ServerResponse } from "node:http";

export interface HeldRequest {
  rid: number;
  res: ServerResponse;
  timer: NodeJS.Timeout;
}

/** Writes one response body: the endpoint's HTTP headers (bosh-http.ts). */
export type Reply = (res: ServerResponse, body: string) => void;

export class HeldRequests {
  private readonly held: HeldRequest[] = [];

  get size(): number {
    return this.held.length;
  }

  /** Holds a request in rid order; `onWait` fires when it has waited `waitMs`. */
  hold(rid: number, res: ServerResponse, waitMs: number, onWait: () => void): void {
    const timer = setTimeout(onWait, waitMs);
    this.held.push({ rid, res, timer });
    this.held.sort((a, b) => a.rid - b.rid);
  }

  has(rid: number): boolean {
    return this.held.some((h) => h.rid === rid);
  }

  /** A retransmission of a held request: the new HTTP request takes the old one's place. */
  replace(rid: number, res: ServerResponse): void {
    const entry = this.held.find((h) => h.rid === rid);
    if (!entry) return;
    entry.res.destroy();
    entry.res = res;
  }

  /** The oldest held request, removed (responses go out in rid order, §14.2). */
  takeOldest(): HeldRequest | undefined {
    const entry = this.held.shift();
    if (entry) clearTimeout(entry.timer);
    return entry;
  }

  /** Whether `rid` is the oldest held request. */
  isOldest(rid: number): boolean {
    return this.held[0]?.rid === rid;
  }

  takeAll(): HeldRequest[] {
    const all = this.held.splice(0);
    for (const entry of all) clearTimeout(entry.timer);
    return all;
  }
}

/** The last responses sent, by rid (§14.3: as many as the simultaneous requests allowed). */
export class ResponseCache {
  private readonly sent = new Map<number, string>();

  constructor(private readonly size: number) {}

  remember(rid: number, body: string): void {
    this.sent.set(rid, body);
    while (this.sent.size > this.size) this.sent.delete(this.sent.keys().next().value!);
  }

  get(rid: number): string | undefined {
    return this.sent.get(rid);
  }
}
