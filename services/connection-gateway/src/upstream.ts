// Gateway -> router envelopes with per-connection sequence numbers and an unacked window
// (docs/architecture.md "Session affinity", docs/acknowledgements.md). Every envelope of a connection
// gets seq + 1 and stays buffered until the router's { t: "ack", seq } covers it. The window is
// sent again, in order and with its original seq numbers:
// - to another live router when the connection's router dies or drains (while none is live, it waits);
// - when the router asks ("resend": it saw a gap, or a connection it does not know);
// - after the bus reconnects (NATS may have lost any of it);
// - when its oldest envelope waited a retransmit interval without progress (a lost tail: nothing
//   after it reveals the gap to the router), with back-off.
// A router that may not know the connection gets the "open" first, stamped with the seq acknowledged
// so far: its sequence starts there, so it never has to trust a gap.
// A full window is backpressure: the connection stops reading its socket until acks bring the
// window down to half (connection.ts), it is never a reason to close the stream.
import { encode } from "@xmppd/bus";
import type { Bus, Subjects, ToRouter } from "@xmppd/bus";
import type { RouterPool } from "./router-pool.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RouterBody = DistributiveOmit<ToRouter, "gw" | "conn" | "seq">;
type OpenBody = Extract<RouterBody, { t: "open" }>;

interface Pending {
  seq: number;
  data: Uint8Array;
}

interface Link {
  conn: string;
  router: string | null;
  seq: number;
  unacked: Pending[];
  bytes: number;
  /** The "open" body, replayed first to a router that may not know the connection. */
  open: OpenBody | null;
  lingering: NodeJS.Timeout | null;
  /** When the window last made progress (or became non-empty); the retransmit clock. */
  since: number;
  /** The current retransmit interval (doubles while nothing is acknowledged). */
  backoff: number;
  /** Called once when a full window has drained to half. */
  onRoom: (() => void) | null;
}

export interface UpstreamDeps {
  bus: Bus;
  subjects: Subjects;
  gatewayId: string;
  pool: RouterPool;
  /** Bounds of one connection's unacked window: reached, the connection stops reading. */
  maxEnvelopes: number;
  maxBytes: number;
  /** How long a closed connection's envelopes wait for an ack before they are forgotten. */
  lingerMs: number;
  /** Unacknowledged this long without progress: the window is sent again (0: never). */
  retransmitMs?: number;
  /** The retransmit interval doubles up to this. */
  maxRetransmitMs?: number;
  now?: () => number;
}

const RETRANSMIT_MS = 2000;
const MAX_RETRANSMIT_MS = 30_000;

export class Upstream {
  private readonly links = new Map<string, Link>();
  private pending = 0;
  private readonly retransmitMs: number;
  private readonly maxRetransmitMs: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | null;

  constructor(private readonly deps: UpstreamDeps) {
    this.retransmitMs = deps.retransmitMs ?? RETRANSMIT_MS;
    this.maxRetransmitMs = Math.max(this.retransmitMs, deps.maxRetransmitMs ?? MAX_RETRANSMIT_MS);
    this.now = deps.now ?? Date.now;
    this.timer = this.retransmitMs > 0 ? setInterval(() => this.retransmit(), Math.max(50, this.retransmitMs / 4)) : null;
    this.timer?.unref();
  }

  /** Numbers, buffers and publishes an envelope. Returns false when the window is now full. */
  send(conn: string, body: RouterBody): boolean {
    const link = this.links.get(conn) ?? this.create(conn);
    link.seq += 1;
    const data = encode({ ...body, gw: this.deps.gatewayId, conn, seq: link.seq } as ToRouter);
    if (link.unacked.length === 0) (link.since = this.now()), (link.backoff = this.retransmitMs);
    link.unacked.push({ seq: link.seq, data });
    link.bytes += data.byteLength;
    this.pending += 1;
    if (body.t === "open") link.open = body;
    if (link.router === null) this.assign(link);
    else this.deps.bus.publish(this.deps.subjects.toRouter(link.router, this.deps.gatewayId), data);
    return !this.isFull(conn);
  }

  /** The connection's window is full: its reader should wait for onRoom. */
  isFull(conn: string): boolean {
    const link = this.links.get(conn);
    return link !== undefined && (link.unacked.length >= this.deps.maxEnvelopes || link.bytes >= this.deps.maxBytes);
  }

  /** Calls `cb` once the connection's window has drained to half (the low-water mark). */
  onRoom(conn: string, cb: () => void): void {
    const link = this.links.get(conn);
    if (!link || !this.isFull(conn)) return cb();
    link.onRoom = cb;
  }

  /** The seq of the connection's latest envelope (0 before the first). */
  lastSeq(conn: string): number {
    return this.links.get(conn)?.seq ?? 0;
  }

  /** The seq up to which the router has acknowledged the connection's envelopes. */
  ackedThrough(conn: string): number {
    const link = this.links.get(conn);
    return link ? this.acked(link) : 0;
  }

  /** The router has handed off everything up to and including seq. */
  ack(conn: string, seq: number): void {
    const link = this.links.get(conn);
    if (!link) return;
    const before = link.unacked.length;
    while (link.unacked.length > 0 && link.unacked[0]!.seq <= seq) {
      link.bytes -= link.unacked.shift()!.data.byteLength;
      this.pending -= 1;
    }
    if (link.unacked.length < before) (link.since = this.now()), (link.backoff = this.retransmitMs);
    // Emptied by shift(), the array keeps the capacity it grew (152 B) until its length is set:
    // an idle connection keeps none.
    if (link.unacked.length === 0) link.unacked.length = 0;
    if (link.onRoom && link.unacked.length <= this.deps.maxEnvelopes / 2 && link.bytes <= this.deps.maxBytes / 2) {
      const cb = link.onRoom;
      link.onRoom = null;
      cb();
    }
    if (link.lingering && link.unacked.length === 0) this.forget(conn);
  }

  /** The router saw a gap before `from` (or does not know the connection): send the window again. */
  resend(conn: string, from: number): void {
    const link = this.links.get(conn);
    if (!link || link.router === null) return;
    if (from <= this.acked(link)) return this.replay(link, link.router);
    const subject = this.deps.subjects.toRouter(link.router, this.deps.gatewayId);
    for (const item of link.unacked) if (item.seq >= from) this.deps.bus.publish(subject, item.data);
  }

  /** The bus is back after a disconnect: anything unacknowledged may have been lost on the way. */
  resendAll(): void {
    for (const link of this.links.values()) if (link.router !== null && link.unacked.length > 0) this.replay(link, link.router);
  }

  /** Sends again the windows that made no progress for their retransmit interval (a lost tail). */
  retransmit(): void {
    const at = this.now();
    for (const link of this.links.values()) {
      if (link.router === null || link.unacked.length === 0 || at - link.since < link.backoff) continue;
      link.since = at;
      link.backoff = Math.min(link.backoff * 2, this.maxRetransmitMs);
      this.replay(link, link.router);
    }
  }

  /** The connection is gone; its buffer stays until acked, at most lingerMs. */
  finish(conn: string): void {
    const link = this.links.get(conn);
    if (!link || link.lingering) return;
    link.onRoom = null;
    if (link.unacked.length === 0) return this.forget(conn);
    link.lingering = setTimeout(() => this.forget(conn), this.deps.lingerMs);
    link.lingering.unref();
  }

  /** Moves every connection of a dead or draining router to another live router. */
  routerLeaving(id: string, why: "dead" | "draining"): void {
    for (const link of this.links.values()) {
      if (link.router !== id) continue;
      const next = this.deps.pool.pick(id);
      // A draining router still works: keep its connections until another one can take them.
      if (next === null && why === "draining") continue;
      this.deps.pool.unassign(id);
      link.router = null;
      if (next !== null) this.moveTo(link, next);
    }
  }

  /** A router became live: connections that were waiting for one are assigned and replayed. */
  routerLive(): void {
    for (const link of this.links.values()) if (link.router === null) this.assign(link);
  }

  routerOf(conn: string): string | null {
    return this.links.get(conn)?.router ?? null;
  }

  /** XEP-0115: the capabilities announced by the connection's router, which answers its disco. */
  capsOf(conn: string): { node: string; ver: string } | undefined {
    const router = this.routerOf(conn);
    return router === null ? undefined : this.deps.pool.capsOf(router);
  }

  unackedTotal(): number {
    return this.pending;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    for (const conn of [...this.links.keys()]) this.forget(conn);
  }

  private acked(link: Link): number {
    return link.unacked.length > 0 ? link.unacked[0]!.seq - 1 : link.seq;
  }

  private create(conn: string): Link {
    const link: Link = { conn, router: null, seq: 0, unacked: [], bytes: 0, open: null, lingering: null, since: this.now(), backoff: this.retransmitMs, onRoom: null };
    this.links.set(conn, link);
    return link;
  }

  private assign(link: Link): void {
    const router = this.deps.pool.pick();
    if (router !== null) this.moveTo(link, router);
  }

  private moveTo(link: Link, router: string): void {
    link.router = router;
    this.deps.pool.assign(router);
    link.since = this.now();
    this.replay(link, router);
  }

  /**
   * The whole window, in order. Unless the window starts with the "open" itself, the open goes
   * first, stamped with the seq acknowledged so far: a router that does not know the connection
   * learns its domain/ip/secure and where its sequence starts; one that does drops it as a resend.
   */
  private replay(link: Link, router: string): void {
    const subject = this.deps.subjects.toRouter(router, this.deps.gatewayId);
    const acked = this.acked(link);
    if (link.open && acked > 0) {
      this.deps.bus.publish(subject, encode({ ...link.open, gw: this.deps.gatewayId, conn: link.conn, seq: acked } as ToRouter));
    }
    for (const item of link.unacked) this.deps.bus.publish(subject, item.data);
  }

  private forget(conn: string): void {
    const link = this.links.get(conn);
    if (!link) return;
    if (link.lingering) clearTimeout(link.lingering);
    if (link.router !== null) this.deps.pool.unassign(link.router);
    this.pending -= link.unacked.length;
    this.links.delete(conn);
  }
}
