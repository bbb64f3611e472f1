// Hand stanzas to the gateway that owns a connection (bus envelope ToGateway "deliver").
import { encode } from "@xmppd/bus";
import type { ToGateway } from "@xmppd/bus";
import type { SessionRecord } from "@xmppd/storage";
import type { WorkContext } from "./context.ts";

export type Target = Pick<SessionRecord, "gateway" | "conn" | "sm">;

/**
 * A resumable XEP-0198 session's stanza is numbered and kept in the SmStore before it is
 * published, as the router does (docs/stream-management.md): once this resolves the stanza
 * survives its gateway, so a stored message may be deleted and the work acknowledged.
 *
 * False: not taken. The session's unacknowledged queue is at its bound (its stream is closed
 * with resource-constraint) or the session is ending. The caller
 * keeps the stanza (a stored row stays stored) or stores or bounces it: an unnumbered delivery
 * instead would go to a stream that is gone, or round the undeliverable path again and again
 * (issue 13: a slow consumer's messages vanished that way).
 *
 * `once` makes a repeat harmless (an AMP event sent again by the outbox relay): the SmStore keeps
 * the first number for it, which the gateway writes once, and a connection without resumption
 * drops a key it has written before.
 */
export async function deliverTo(ctx: WorkContext, target: Target, xml: string, once?: string): Promise<boolean> {
  if (target.sm !== undefined && ctx.sm) {
    const { outboundStanzas, outboundBytes } = ctx.config.gateway.limits;
    const r = await ctx.sm.append(target.sm, xml, { maxStanzas: outboundStanzas, maxBytes: outboundBytes }, once);
    if (!r.ok) {
      // docs/architecture.md "Limits": at the bound the stream ends with resource-constraint (and stays
      // resumable), whoever reaches it; the router does the same (sm-delivery.ts).
      if (r.reason === "full") publish(ctx, target.gateway, { t: "close", conn: target.conn, condition: "resource-constraint", text: "too many unacknowledged stanzas" });
      return false;
    }
    // No `to`: the session is detached and the stanza waits in the store for its resumption.
    if (r.to) publish(ctx, r.to.gateway, { t: "deliver", conn: r.to.conn, xml, sm: r.seq });
    return true;
  }
  publish(ctx, target.gateway, { t: "deliver", conn: target.conn, xml, ...(once === undefined ? {} : { once }) });
  return true;
}

/** Hands `xml` to each target; true if at least one took it. */
export async function deliverToAny(ctx: WorkContext, targets: readonly Target[], xml: string, once?: string): Promise<boolean> {
  let taken = false;
  for (const t of targets) if (await deliverTo(ctx, t, xml, once)) taken = true;
  return taken;
}

/**
 * The once key of a live delivery of message work: the key the router gave the stanza at intake.
 * The worker acknowledges the work only after delivering it, and that acknowledgement is lost
 * when NATS restarts in between, so the redelivered work sends the stanza again; under its
 * intake key (stable across redeliveries and republishes) the connection or SmStore drops the
 * repeat. `part` tells apart the stanzas one work item sends to one connection (a bounce). A
 * stored row keeps the key, so its bounce from storage is the same bounce.
 */
export function liveOnce(work: { key: string }, part?: "bounce" | "carbon"): string {
  return part === undefined ? `amp:${work.key}` : `amp:${work.key}:${part}`;
}

function publish(ctx: WorkContext, gateway: string, envelope: ToGateway): void {
  ctx.bus.publish(ctx.subjects.gatewayInbox(gateway), encode(envelope));
}

/** The session bound to exactly this full JID, if it is still there. */
export async function findSession(ctx: WorkContext, bareJid: string, fullJid: string): Promise<SessionRecord | undefined> {
  const sessions = await ctx.sessions.get(bareJid);
  return sessions.find((s) => s.jid === fullJid);
}
