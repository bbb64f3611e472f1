// Re-registration after the session store lost its data (docs/redis-loss.md). A gateway sends one
// "rereg" envelope per bound connection, on the connection's ordered path, so it reaches the
// router that established the connection's identity. Invariant 3 holds: the router writes back
// only what it remembers itself of that gateway's connection (ConnState: the identity, the
// availability, priority and last presence, carbons, the XEP-0198 session id). Of the gateway it
// believes only the XEP-0198 counts and unacknowledged deliveries of that session, as it already
// believes the counts a gateway keeps for its own clients: a lie harms no one but that client.
import { WorkQueueFullError, encode, type AmpWork, type SmHeld, type ToRouter } from "@xmppd/bus";
import type { SessionRecord } from "@xmppd/storage";
import type { ConnState } from "./connections.ts";
import type { RouterContext } from "./context.ts";
import { checkDelivery, forgetIdentity, identityJid, isRefusal, type Refusal } from "./identity.ts";

export type Rereg = Extract<ToRouter, { t: "rereg" }>;

/** Outcomes (label `outcome` of xmpp_router_reregistrations_total). */
export type ReregOutcome = "restored" | "present" | "refused";

/**
 * Writes the connection's session back, or says why not. "present": the record was still there
 * (this store did not lose it, or an earlier re-registration wrote it).
 */
export async function handleReregister(ctx: RouterContext, st: ConnState, env: Rereg): Promise<Refusal | void> {
  const result = await reregister(ctx, st, env);
  const outcome: ReregOutcome = isRefusal(result) ? "refused" : result;
  const lostAt = ctx.epoch.lostAt(env.epoch);
  ctx.metrics.reregistered(outcome, outcome === "refused" || lostAt === undefined ? undefined : (Date.now() - lostAt) / 1000);
  return isRefusal(result) ? result : undefined;
}

async function reregister(ctx: RouterContext, st: ConnState, env: Rereg): Promise<Refusal | "restored" | "present"> {
  const own = identityJid(st);
  // Only a bound resource this router established on this very connection; after a router
  // failover nothing is left to verify it against, so the client connects again.
  if (!own) return "unbound-connection";
  if (own.isBare() || env.jid !== st.identity) return "jid-mismatch";
  if (env.sm !== undefined && env.sm.id !== st.sm) return "sm-mismatch";
  const held = env.sm === undefined ? undefined : checkHeld(ctx, env.sm);
  if (isRefusal(held)) return held;
  // The envelope is the gateway's sign of life: its heartbeat key went with the data, and its
  // re-registered sessions must not be swept as a dead gateway's before its next beacon.
  await ctx.sessions.heartbeat(st.gw, ctx.config.heartbeat.deadAfterMs);
  const jid = own.toString();
  const rec: SessionRecord = {
    jid, gateway: st.gw, conn: st.conn, available: st.available, priority: st.priority, boundAt: Date.now(),
    ...(st.available && st.presence !== undefined ? { presence: st.presence } : {}),
    ...(st.sm !== undefined ? { sm: st.sm } : {}),
  };
  // The XEP-0198 session first, then the record that names it: whoever reads the record (a
  // router routing to it, an AMP worker delivering to it) appends to the session at once, and an
  // append to a session not restored yet is "gone", which the AMP worker takes for a message it
  // cannot deliver: it bounced it, and dropped the bounce when the sender's own session was not
  // re-registered yet either (chaos redis-restart lost messages that way).
  const smRestored = st.sm !== undefined && (await restoreSm(ctx, st.sm, jid, st, held));
  const written = await ctx.sessions.restore(rec);
  // Another stream bound the resource since (RFC 6120 §7.7.2.2): this one was replaced, and
  // keeps no XEP-0198 session (its resumption fails, as it did before the loss).
  if (written === "taken") {
    if (smRestored) await ctx.sm.store.remove(st.sm!);
    return forgetIdentity(st), "unbound-connection";
  }
  if (written === "restored" && st.carbons) await ctx.sessions.annotate(jid, st.conn, { carbons: true });
  st.checkedAt = Date.now();
  // Messages that went offline while the session was missing are due to it now.
  if (written === "restored" && st.available && st.priority >= 0) {
    const work: AmpWork = { t: "flush", jid, gw: st.gw, conn: st.conn };
    // A full queue leaves them stored, for the next initial presence: the session is back anyway.
    await ctx.work.publish(ctx.ampQueue.subject("flush", own.bareString()), encode(work), { msgId: `flush:rereg:${st.gw}:${st.conn}:${env.epoch}` }).catch((err: unknown) => {
      if (!(err instanceof WorkQueueFullError)) throw err;
      ctx.log.warn({ jid }, "AMP work queue full; stored messages not flushed at re-registration");
    });
  }
  return written;
}

/**
 * Restores the connection's XEP-0198 session from the gateway's state; false when a session of
 * that id is there already (not lost, or an earlier re-registration wrote it).
 */
async function restoreSm(ctx: RouterContext, id: string, jid: string, st: ConnState, held: SmHeld | undefined): Promise<boolean> {
  // Without its state the gateway had not started numbering yet (the "enabled" crossed this
  // envelope): the session starts from nothing, as a fresh enable does.
  const state = held ?? { handled: 0, acked: 0, items: [] };
  return ctx.sm.store.restore({ id, jid, gateway: st.gw, conn: st.conn, handled: state.handled, acked: state.acked, items: state.items });
}

/** The gateway's unacknowledged deliveries: numbered without a gap, one stanza each, within the queue's limits. */
function checkHeld(ctx: RouterContext, held: SmHeld): SmHeld | Refusal {
  const { outboundStanzas, outboundBytes } = ctx.config.gateway.limits;
  let bytes = 0;
  for (const [i, item] of held.items.entries()) {
    if (item.seq !== held.acked + 1 + i) return "sm-mismatch";
    if (isRefusal(checkDelivery(item.xml))) return "malformed-stanza";
    bytes += Buffer.byteLength(item.xml);
  }
  if (held.items.length > outboundStanzas || bytes > outboundBytes) return "sm-mismatch";
  return held;
}
