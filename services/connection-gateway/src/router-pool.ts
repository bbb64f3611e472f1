// Which routers are alive, from their heartbeat beacons (docs/architecture.md "Session affinity"):
// a router is live while its beacon arrives within deadAfterMs. New connections go to the
// live, non-draining router serving the fewest of this gateway's connections.
import type { RouterHeartbeat } from "@xmppd/bus";

export interface RouterPoolEvents {
  /** A router was seen for the first time or again after being declared dead. */
  onLive(id: string): void;
  /** A router missed its beacons or announced draining: move its connections away. */
  onLeaving(id: string, why: "dead" | "draining"): void;
}

interface RouterState {
  lastSeen: number;
  draining: boolean;
  assigned: number;
  /** XEP-0115: the capabilities the router last announced. */
  caps?: RouterHeartbeat["caps"];
}

export class RouterPool {
  private readonly routers = new Map<string, RouterState>();

  constructor(
    private readonly deadAfterMs: number,
    private readonly events: RouterPoolEvents,
    private readonly now: () => number = Date.now,
  ) {}

  beacon(hb: RouterHeartbeat): void {
    const known = this.routers.get(hb.id);
    const draining = hb.draining === true;
    if (!known) {
      this.routers.set(hb.id, { lastSeen: this.now(), draining, assigned: 0, caps: hb.caps });
      if (!draining) this.events.onLive(hb.id);
      return;
    }
    known.lastSeen = this.now();
    known.caps = hb.caps;
    if (draining && !known.draining) {
      known.draining = true;
      this.events.onLeaving(hb.id, "draining");
    }
  }

  /** Declares routers dead whose beacons stopped; call periodically. */
  sweep(): void {
    const at = this.now();
    for (const [id, state] of this.routers) {
      if (at - state.lastSeen <= this.deadAfterMs) continue;
      this.routers.delete(id);
      this.events.onLeaving(id, "dead");
    }
  }

  /** The live router with the fewest of our connections, or null when none is live. */
  pick(exclude?: string): string | null {
    let best: string | null = null;
    let fewest = Infinity;
    for (const [id, state] of this.routers) {
      if (state.draining || id === exclude || state.assigned >= fewest) continue;
      best = id;
      fewest = state.assigned;
    }
    return best;
  }

  /** The capabilities a live router announced (XEP-0115), if any. */
  capsOf(id: string): RouterHeartbeat["caps"] | undefined {
    return this.routers.get(id)?.caps;
  }

  isLive(id: string): boolean {
    return this.routers.has(id);
  }

  hasLive(): boolean {
    return this.pick() !== null;
  }

  assign(id: string): void {
    const state = this.routers.get(id);
    if (state) state.assigned += 1;
  }

  unassign(id: string): void {
    const state = this.routers.get(id);
    if (state) state.assigned = Math.max(0, state.assigned - 1);
  }
}
