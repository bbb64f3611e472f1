// Gateway -> router envelopes with per-connection sequence numbers and an unacked buffer
// (ARCHITECTURE "Session affinity"). Every envelope of a connection gets seq + 1 and stays
// buffered until the router's { t: "ack", seq } covers it. When the connection's router dies
// or drains, the connection moves to another live router and its unacked envelopes are
// resent in order with their original seq numbers; while no router is live they wait.
import { encode } from "@xmppd/bus";
import type { Bus, Subjects, ToRouter } from "@xmppd/bus";
import type { RouterPool } from "./router-pool.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RouterBody = DistributiveOmit<ToRouter, "gw" | "conn" | "seq">;

interface Pending {
  seq: number;
  data: Uint8Array;
}

interface Link {
  router: string | null;
  seq: number;
  unacked: Pending[];
  bytes: number;
  /** The "open" envelope, replayed first to a router that takes the connection over. */
  open: Pending | null;
  lingering: NodeJS.Timeout | null;
}

export interface UpstreamDeps {
  bus: Bus;
  subjects: Subjects;
  gatewayId: string;
  pool: RouterPool;
  /** Bounds of one connection's unacked buffer (the outbound limits). */
  maxEnvelopes: number;
  maxBytes: number;
  /** How long a closed connection's envelopes wait for an ack before they are forgotten. */
  lingerMs: number;
}

export class Upstream {
  private readonly links = new Map<string, Link>();
  private pending = 0;

  constructor(private readonly deps: UpstreamDeps) {}

  /**
   * Numbers, buffers and publishes an envelope. Returns false (and sends nothing) when the
   * connection's unacked buffer is full; `force` skips that check for the final "closed".
   */
  send(conn: string, body: RouterBody, force = false): boolean {
    const link = this.links.get(conn) ?? this.create(conn);
    const data = encode({ ...body, gw: this.deps.gatewayId, conn, seq: link.seq + 1 } as ToRouter);
    const full = link.unacked.length >= this.deps.maxEnvelopes || link.bytes + data.byteLength > this.deps.maxBytes;
    if (full && !force) return false;
    link.seq += 1;
    const item = { seq: link.seq, data };
    link.unacked.push(item);
    link.bytes += data.byteLength;
    this.pending += 1;
    if (body.t === "open") link.open = item;
    if (link.router === null) this.assign(link);
    else this.deps.bus.publish(this.deps.subjects.toRouter(link.router, this.deps.gatewayId), data);
    return true;
  }

  /** The seq of the connection's latest envelope (0 before the first). */
  lastSeq(conn: string): number {
    return this.links.get(conn)?.seq ?? 0;
  }

  /** The seq up to which the router has acknowledged the connection's envelopes. */
  ackedThrough(conn: string): number {
    const link = this.links.get(conn);
    if (!link) return 0;
    return link.unacked.length > 0 ? link.unacked[0]!.seq - 1 : link.seq;
  }

  /** The router has handed off everything up to and including seq. */
  ack(conn: string, seq: number): void {
    const link = this.links.get(conn);
    if (!link) return;
    while (link.unacked.length > 0 && link.unacked[0]!.seq <= seq) {
      link.bytes -= link.unacked.shift()!.data.byteLength;
      this.pending -= 1;
    }
    if (link.lingering && link.unacked.length === 0) this.forget(conn);
  }

  /** The connection is gone; its buffer stays until acked, at most lingerMs. */
  finish(conn: string): void {
    const link = this.links.get(conn);
    if (!link || link.lingering) return;
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
    for (const conn of [...this.links.keys()]) this.forget(conn);
  }

  private create(conn: string): Link {
    const link: Link = { router: null, seq: 0, unacked: [], bytes: 0, open: null, lingering: null };
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
    const subject = this.deps.subjects.toRouter(router, this.deps.gatewayId);
    const first = link.unacked[0];
    // The new router may never have seen this connection: give it the domain/ip/secure first.
    if (link.open && link.open !== first && link.open.seq < (first?.seq ?? Infinity)) {
      this.deps.bus.publish(subject, link.open.data);
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
