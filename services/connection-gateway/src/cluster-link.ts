// The gateway's presence on the bus: it follows router beacons (to know where connections
// may go), receives its inbox, and announces itself every heartbeat interval.
import { decode, encode, type Bus, type GatewayGone, type GatewayHeartbeat, type ReregisterRequest, type RouterHeartbeat, type Subjects, type Subscription } from "@xmppd/bus";
import type { Connection } from "./connection.ts";
import type { GatewayContext } from "./context.ts";
import { inboxHandler } from "./inbound.ts";
import { Reregistration } from "./reregister.ts";
import type { RouterPool } from "./router-pool.ts";

export interface ClusterLink {
  stop(): void;
}

export function linkToCluster(
  ctx: GatewayContext,
  bus: Bus,
  subjects: Subjects,
  pool: RouterPool,
  connections: ReadonlyMap<string, Connection>,
): ClusterLink {
  const { intervalMs, deadAfterMs } = ctx.config.heartbeat;
  // The session store's epoch, from a router's request or its beacons (reregister.ts).
  const rereg = new Reregistration(ctx, connections);
  const subs: Subscription[] = [
    bus.subscribe(subjects.routerHeartbeat(), (data) => onBeacon(ctx, pool, rereg, data)),
    bus.subscribe(subjects.reregister(), (data) => onReregister(ctx, rereg, data)),
    bus.subscribe(subjects.gatewayInbox(ctx.id), inboxHandler(ctx, connections)),
    bus.subscribe(subjects.gatewayGone(), (data) => onGone(ctx, connections, data)),
  ];
  let stopped = false;
  // NATS restarted: envelopes to routers and deliveries from them may have been lost meanwhile
  // (docs/acknowledgements.md). Send every unacknowledged window again, and ask for the
  // numbered deliveries of every resumable session after what it wrote.
  bus.onReconnected?.(() => {
    if (stopped) return;
    ctx.log.warn({ unacked: ctx.upstream.unackedTotal() }, "bus reconnected: resending unacknowledged envelopes");
    ctx.upstream.resendAll();
    for (const conn of connections.values()) conn.sm?.afterBusReconnect();
  });
  const announce = () => {
    // batchAcks: inbound.ts reads a router's AckBatch (one message for many connections' acks).
    const hb: GatewayHeartbeat = { id: ctx.id, ts: Date.now(), connections: connections.size, batchAcks: true };
    bus.publish(subjects.gatewayHeartbeat(ctx.id), encode(hb));
    ctx.metrics.unacked.set(ctx.upstream.unackedTotal());
    rereg.retry();
  };
  announce();
  const beat = setInterval(announce, intervalMs);
  // Sweep often enough to notice a dead router soon after deadAfterMs.
  const sweep = setInterval(() => pool.sweep(), Math.max(20, Math.min(intervalMs, deadAfterMs / 3)));
  return {
    stop() {
      stopped = true;
      clearInterval(beat);
      clearInterval(sweep);
      for (const sub of subs) sub.unsubscribe();
    },
  };
}

function onBeacon(ctx: GatewayContext, pool: RouterPool, rereg: Reregistration, data: Uint8Array): void {
  try {
    const hb = decode<RouterHeartbeat>(data);
    if (typeof hb.id === "string" && hb.id !== "") pool.beacon(hb);
    if (typeof hb.epoch === "string" && hb.epoch !== "") rereg.announced(hb.epoch);
  } catch (err) {
    ctx.log.warn({ err }, "dropping undecodable router heartbeat");
  }
}

function onReregister(ctx: GatewayContext, rereg: Reregistration, data: Uint8Array): void {
  try {
    const req = decode<ReregisterRequest>(data);
    if (typeof req.epoch === "string" && req.epoch !== "") rereg.announced(req.epoch);
  } catch (err) {
    ctx.log.warn({ err }, "dropping undecodable re-registration request");
  }
}

// The routers missed our beacons long enough to declare us dead and removed our sessions from
// Redis: our bound streams now receive nothing (messages to them go offline). Close them so the
// clients reconnect, bind again and collect what was stored meanwhile.
function onGone(ctx: GatewayContext, connections: ReadonlyMap<string, Connection>, data: Uint8Array): void {
  try {
    if (decode<GatewayGone>(data).id !== ctx.id) return;
  } catch {
    return;
  }
  ctx.log.warn({ connections: connections.size }, "declared dead by the routers; closing bound streams so clients reconnect");
  for (const conn of connections.values()) if (conn.jid !== null) conn.fail("internal-server-error", "session state lost; please reconnect");
}
