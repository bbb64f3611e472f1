// Messages that reach a stream without XEP-0198 after it ended. A router or AMP worker that read
// the session before the router unbound it still delivers here; nothing was written, so the
// message goes back to the connection's router, which stores it offline or hands it to another
// resource (RFC 6121 §8.5.3.2.1), as ejabberd re-routes what a finished session's mailbox holds.
// They go back only once the router has acknowledged the connection's "closed": the router then
// knows whose connection it was, and the session is unbound, so nothing comes back here again.
import { encode, type Bus, type Returned, type Subjects } from "@xmppd/bus";
import type { Upstream } from "./upstream.ts";

interface Ended {
  router: string | null;
  closedSeq: number;
  held: { n: number; xml: string }[];
  next: number;
  until: number;
}

export interface ReturnsDeps {
  bus: Bus;
  subjects: Subjects;
  gatewayId: string;
  upstream: Upstream;
  /** How long after its end a connection's late messages are still taken back. */
  windowMs: number;
  /** Messages held per connection while its "closed" waits for the router's ack. */
  maxHeld: number;
  /** Counts a message returned, or dropped (held past the window, or beyond maxHeld). */
  outcome: (outcome: "returned" | "dropped", n: number) => void;
  now?: () => number;
}

export class Returns {
  private readonly conns = new Map<string, Ended>();
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly deps: ReturnsDeps) {
    this.now = deps.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), Math.max(100, deps.windowMs / 4));
    this.timer.unref();
  }

  /** The connection (bound, without XEP-0198) sent its "closed" just now. */
  ended(conn: string): void {
    const { upstream } = this.deps;
    this.conns.set(conn, { router: upstream.routerOf(conn), closedSeq: upstream.lastSeq(conn), held: [], next: 1, until: this.now() + this.deps.windowMs });
  }

  /** A delivery for a connection no longer open; false when it is not one this takes back. */
  offer(conn: string, xml: string): boolean {
    const e = this.conns.get(conn);
    if (!e || !xml.startsWith("<message")) return false;
    if (e.held.length >= this.deps.maxHeld) {
      this.deps.outcome("dropped", 1);
      return true;
    }
    e.held.push({ n: e.next++, xml });
    this.flush(conn, e);
    return true;
  }

  /** The router acknowledged envelopes of the connection: its "closed" may be among them. */
  acked(conn: string): void {
    const e = this.conns.get(conn);
    if (e && e.held.length > 0) this.flush(conn, e);
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const e of this.conns.values()) if (e.held.length > 0) this.deps.outcome("dropped", e.held.length);
    this.conns.clear();
  }

  private flush(conn: string, e: Ended): void {
    const { upstream } = this.deps;
    // The link outlives the socket until everything is acknowledged; once it is gone, so is its window.
    if (upstream.ackedThrough(conn) < e.closedSeq && upstream.lastSeq(conn) !== 0) return;
    const router = upstream.routerOf(conn) ?? e.router;
    if (router === null) return;
    const msg: Returned = { t: "returned", gw: this.deps.gatewayId, conn, items: e.held };
    this.deps.bus.publish(this.deps.subjects.toRouter(router, this.deps.gatewayId), encode(msg));
    this.deps.outcome("returned", e.held.length);
    e.held = [];
  }

  private sweep(): void {
    const at = this.now();
    for (const [conn, e] of this.conns) {
      if (e.held.length > 0) this.flush(conn, e);
      if (at < e.until) continue;
      if (e.held.length > 0) this.deps.outcome("dropped", e.held.length);
      this.conns.delete(conn);
    }
  }
}
