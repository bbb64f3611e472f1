// Flush stored messages to a resource that just became available (RFC 6121 §8.5.2.2.1 and
// XEP-0160): oldest first, each with XEP-0203 <delay/>, through OfflineStore.drain, so rows are
// deleted only after the bus has taken them (docs/architecture.md "Durability") and a concurrent drain
// for the same account never delivers a row twice.
import type { AmpWork } from "@xmppd/bus";
import { tryParseJid } from "@xmppd/jid";
import type { SessionRecord } from "@xmppd/storage";
import { PoisonWorkError } from "../context.ts";
import type { Outcome, WorkContext } from "../context.ts";
import { blockedSenders, refuseBlocked } from "../blocked.ts";
import { withDelay } from "../delay.ts";
import { deliverTo } from "../delivery.ts";
import { isFlexible, offlineOnce } from "../drain.ts";
import { releaseQueued } from "../queued.ts";
import { drainExpiring, isDue } from "../amp/flush-expiry.ts";

type FlushWork = Extract<AmpWork, { t: "flush" }>;

/** Rows read, delivered and deleted per round trip. */
export const FLUSH_PAGE = 50;

export async function handleFlush(work: FlushWork, ctx: WorkContext): Promise<Outcome> {
  const jid = tryParseJid(work.jid);
  if (!jid || jid.isBare()) throw new PoisonWorkError(`flush for a JID without resource: ${work.jid}`);
  const owner = jid.bareString();
  const target = { gateway: work.gw, conn: work.conn };
  // The sessions and the cached block list in one round trip.
  const state = (await ctx.sessions.lookup([owner])).get(owner);
  // XEP-0013 §2.2: no flood while a resource of the account retrieves flexibly (the router does
  // not ask then; this covers a resource that started doing so while the flush was queued).
  if (isFlexible(state?.sessions ?? [])) return "flexible";
  let stale = false;
  const blocked = await blockedSenders(ctx, owner, state);
  let refused = 0;
  // Read just now: the first page needs no second read of the sessions.
  let sessions: SessionRecord[] | undefined = state?.sessions;
  // The drain finding no row leaves the mark that lets the routers skip this request at the
  // account's next logins (nothing-stored.ts), set under the owner's lock like every store.
  const none = { whenNoneStored: (o: string) => ctx.sessions.markNothingStored(o) };
  const delivered = await drainExpiring(ctx, owner, async () => {
    let expired = false;
    const n = await ctx.offline.drain(owner, async (rows) => {
      // The resource may go away between pages; stop and keep the rest stored for its next login.
      const session = (sessions ?? (await ctx.sessions.get(owner))).find((s) => s.jid === jid.toString());
      sessions = undefined;
      if (!session || session.conn !== work.conn || session.gateway !== work.gw) {
        stale = true;
        return [];
      }
      // XEP-0079 E2: a row whose expire-at came due is not delivered; its pass runs first.
      const due = rows.findIndex(isDue);
      expired = due >= 0;
      const handed = expired ? rows.slice(0, due) : rows;
      for (const row of handed) {
        if (blocked(row)) (await refuseBlocked(ctx, row), refused++);
        else await deliverTo(ctx, target, withDelay(row.stanza, jid.domain, row.storedAt).toString(), offlineOnce(row));
      }
      await ctx.bus.flush();
      return handed.map((row) => row.id);
    }, FLUSH_PAGE, none);
    ctx.metrics.offlineDelivered.inc(n - refused);
    await releaseQueued(ctx, owner, n);
    return { n, expired: expired && !stale };
  });
  if (stale) return delivered > 0 ? "flushed-partly" : "stale";
  return delivered > 0 ? "flushed" : "nothing";
}
