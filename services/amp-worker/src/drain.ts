// Hand an account's stored messages to its resources of the moment, oldest first (RFC 6121
// §8.5 on each row's own 'to'), through OfflineStore.drain: rows are deleted only once the bus
// has taken them (docs/architecture.md "Durability"), and a row that cannot go anywhere now stops the
// drain, so nothing overtakes it (invariant 2).
import { parseJid, tryParseJid } from "@xmppd/jid";
import { decide, mostAvailable } from "@xmppd/routing";
import type { OfflineMessage, SessionRecord } from "@xmppd/storage";
import { parseElement } from "@xmppd/xml";
import { blockedSenders, refuseBlocked } from "./blocked.ts";
import { bounce } from "./bounce.ts";
import type { WorkContext } from "./context.ts";
import { withDelay } from "./delay.ts";
import { deliverToAny, liveOnce } from "./delivery.ts";
import { releaseQueued } from "./queued.ts";
import { drainExpiring, isDue } from "./amp/flush-expiry.ts";
import { isStoredEvent } from "./amp/stored-rules.ts";

type Row = OfflineMessage & { id: string };

/** Returns how many rows left storage (delivered, or bounced because their resource is gone). */
export async function drainToSessions(ctx: WorkContext, owner: string): Promise<number> {
  // The sessions and the cached block list in one round trip.
  const state = (await ctx.sessions.lookup([owner])).get(owner);
  // XEP-0013 §2.2: while a resource retrieves flexibly, stored messages wait for its requests.
  if (isFlexible(state?.sessions ?? [])) return 0;
  const blocked = await blockedSenders(ctx, owner, state);
  return drainExpiring(ctx, owner, async () => {
    let expired = false;
    const n = await ctx.offline.drain(owner, async (rows) => {
      const sessions = await ctx.sessions.get(owner);
      const handed: string[] = [];
      for (const row of rows) {
        if ((expired = isDue(row))) break;
        if (blocked(row)) await refuseBlocked(ctx, row);
        else if (!(await settleRow(ctx, row, sessions))) break;
        handed.push(row.id);
      }
      await ctx.bus.flush();
      return handed;
    });
    await releaseQueued(ctx, owner, n);
    return { n, expired };
  });
}

/**
 * The idempotency key of a stored row's delivery. Rows are deleted only after the bus took them;
 * when that delete fails (Postgres restarting) the work is redelivered and the rows sent again:
 * the key makes the gateway (or the SmStore) drop the repeat, so a client sees each row once.
 */
export function offlineOnce(row: { id: string }): string {
  return `offline:${row.id}`;
}

/** A resource of the account used XEP-0013 this session: no automatic delivery from storage. */
export function isFlexible(sessions: readonly SessionRecord[]): boolean {
  return sessions.some((s) => s.flexOffline === true);
}

/** false: the row has no resource to go to now, and stays (with everything after it). */
async function settleRow(ctx: WorkContext, row: Row, sessions: SessionRecord[]): Promise<boolean> {
  // DP-22: an AMP event stored for its sender goes to any of the sender's eligible resources.
  if (isStoredEvent(row.meta)) {
    return deliverToAny(ctx, mostAvailable(sessions), withDelay(row.stanza, parseJid(row.owner).domain, row.storedAt).toString(), offlineOnce(row));
  }
  const owner = parseJid(row.owner);
  let stanza;
  try {
    stanza = parseElement(row.stanza);
  } catch (err) {
    // It was parsed before it was stored; a row that no longer parses can go nowhere, ever.
    ctx.log.error({ err, owner: row.owner, key: row.key }, "unparsable offline row dropped");
    return true;
  }
  const to = tryParseJid(String(stanza.attrs.to ?? "")) ?? owner;
  const decision = decide("message", String(stanza.attrs.type ?? ""), to, sessions);
  switch (decision.action) {
    case "deliver": {
      // XEP-0203: marked as held by the server since it was stored.
      const text = withDelay(row.stanza, owner.domain, row.storedAt).toString();
      // Not taken (the resource's queue is at its bound): the row stays, and everything after it.
      if (!(await deliverToAny(ctx, decision.targets, text, offlineOnce(row)))) return false;
      ctx.metrics.offlineDelivered.inc();
      return true;
    }
    case "offline":
      return false;
    case "error":
      // RFC 6121 §8.5.3.2.1: a normal message for a full JID whose resource has gone.
      await bounce(ctx, { stanza, condition: decision.condition, from: row.owner, to: row.sender, reason: "routing", once: liveOnce(row, "bounce") });
      return true;
    default:
      return true;
  }
}
