// Liveness in both directions: this router's beacon (gateways pick live routers and fail over
// from dead ones), and the gateways' beacons recorded in the session store with a TTL. When a
// gateway's TTL lapses, one router removes its sessions (removeGateway is atomic: only the
// router that gets the records back acts on them), broadcasts their unavailable presence and tells
// the others to forget its connections. And the session store's epoch marker (store-epoch.ts),
// announced with every beacon: gateways re-register their connections when it changes.
import { decode, encode, type GatewayGone, type GatewayHeartbeat, type RouterHeartbeat } from "@xmppd/bus";
import type { SessionRecord } from "@xmppd/storage";
import type { RouterContext } from "./context.ts";
import { sessionGone } from "./presence-broadcast.ts";
import { smGatewayGone, smSweep } from "./sm-lifecycle.ts";

/** Sessions of a dead gateway whose unavailable presence is broadcast at once. */
const ANNOUNCE_BATCH = 32;

export interface Liveness {
  start(): void;
  /** Announce draining: gateways stop choosing this router. */
  beat(draining: boolean): void;
  /** Whether the gateway's last beacon said it reads AckBatch (acks.ts). */
  readsAckBatches(gw: string): boolean;
  stop(): void;
}

export function createLiveness(ctx: RouterContext, onGatewayGone: (gw: string) => void, caps: () => RouterHeartbeat["caps"] | null = () => null): Liveness {
  const { intervalMs, deadAfterMs } = ctx.config.heartbeat;
  const timers: NodeJS.Timeout[] = [];
  const subs: { unsubscribe(): void }[] = [];
  let sweeping = false;
  let draining = false;
  const batchAckGateways = new Set<string>();
  /** When this router's bus came back after NATS was away; gateways' beacons were lost meanwhile. */
  let reconnectedAt = -Infinity;

  function beat(isDraining: boolean): void {
    draining = isDraining;
    const announced = caps();
    const epoch = ctx.epoch.current();
    const hb: RouterHeartbeat = { id: ctx.id, ts: Date.now(), ...(draining ? { draining: true } : {}), ...(announced ? { caps: announced } : {}), ...(epoch === null ? {} : { epoch }) };
    ctx.bus.publish(ctx.subjects.routerHeartbeat(), encode(hb));
  }

  // The beacon's gateway is the one its subject names (NATS lets a gateway publish only as
  // itself); a beacon naming another is a lie, counted like any refused envelope.
  function onGatewayBeacon(data: Uint8Array, subject: string): void {
    const hb = decode<GatewayHeartbeat>(data);
    const sender = ctx.subjects.heartbeatSender(subject);
    if (sender === null || hb.id !== sender) {
      ctx.metrics.refused("heartbeat-mismatch");
      return void ctx.log.warn({ gateway: sender, claimed: hb.id, subject }, "gateway heartbeat for another gateway refused");
    }
    if (hb.batchAcks === true) batchAckGateways.add(hb.id);
    else batchAckGateways.delete(hb.id);
    ctx.sessions.heartbeat(hb.id, deadAfterMs).catch((err: unknown) => ctx.log.warn({ err, gw: hb.id }, "gateway heartbeat not recorded"));
  }

  /**
   * RFC 6121 §4.5.2 / §4.6.3 for sessions whose gateway died: their contacts see them go
   * unavailable. Done here, by the one router that got the records back, so exactly once.
   */
  async function announceGone(removed: SessionRecord[]): Promise<void> {
    for (let i = 0; i < removed.length; i += ANNOUNCE_BATCH) {
      await Promise.all(removed.slice(i, i + ANNOUNCE_BATCH).map((rec) =>
        sessionGone(ctx, rec).catch((err: unknown) => ctx.log.warn({ err, jid: rec.jid }, "unavailable presence not broadcast"))));
    }
  }

  /**
   * Whether this router has heard every beacon of the last deadAfterMs: its bus answers now and
   * has not been away since. A lapse seen otherwise is NATS's (a restart stops every beacon), not
   * the gateway's, and declaring its gateways dead would unregister live sessions.
   */
  async function heardEverything(): Promise<boolean> {
    if (Date.now() - reconnectedAt < deadAfterMs) return false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), intervalMs)));
    const answered = ctx.bus.flush().then(() => true, () => false);
    try {
      return (await Promise.race([answered, late])) && Date.now() - reconnectedAt >= deadAfterMs;
    } finally {
      clearTimeout(timer);
    }
  }

  async function sweep(): Promise<void> {
    if (sweeping) return;
    sweeping = true;
    try {
      if (!(await heardEverything())) return;
      for (const gw of await ctx.sessions.deadGateways()) {
        // XEP-0198 §5: resumable sessions stay (detached) until their resumption timeout.
        await smGatewayGone(ctx, gw);
        const removed = await ctx.sessions.removeGateway(gw);
        if (removed.length === 0) continue; // another router got there first
        ctx.log.warn({ gw, sessions: removed.length }, "gateway heartbeat lapsed; its sessions were removed");
        const gone: GatewayGone = { id: gw };
        ctx.bus.publish(ctx.subjects.gatewayGone(), encode(gone));
        await announceGone(removed);
      }
    } catch (err) {
      ctx.log.warn({ err }, "dead gateway sweep failed");
    } finally {
      sweeping = false;
    }
  }

  return {
    start() {
      subs.push(ctx.bus.subscribe(ctx.subjects.gatewayHeartbeats(), onGatewayBeacon));
      subs.push(ctx.bus.subscribe(ctx.subjects.gatewayGone(), (data) => {
        const { id } = decode<GatewayGone>(data);
        batchAckGateways.delete(id);
        onGatewayGone(id);
      }));
      ctx.bus.onReconnected?.(() => void (reconnectedAt = Date.now()));
      beat(false);
      // Whether the session store lost its data: read every beat, so gateways hear of it within one.
      void ctx.epoch.check();
      timers.push(setInterval(() => void ctx.epoch.check(), intervalMs));
      timers.push(setInterval(() => beat(draining), intervalMs));
      timers.push(setInterval(() => void sweep(), intervalMs));
      timers.push(setInterval(() => void smSweep(ctx).catch((err: unknown) => ctx.log.warn({ err }, "XEP-0198 expiry sweep failed")), intervalMs));
    },
    beat,
    readsAckBatches: (gw) => batchAckGateways.has(gw),
    stop() {
      for (const t of timers) clearInterval(t);
      for (const s of subs) s.unsubscribe();
      timers.length = 0;
      subs.length = 0;
    },
  };
}
