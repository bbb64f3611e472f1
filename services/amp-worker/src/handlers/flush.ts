// Flush stored messages to a resource that just became available (RFC 6121 §8.5.2.2.1 and
// XEP-0160): oldest first, each with XEP-0203 <delay/>, through OfflineStore.drain, so rows are
// deleted only after the bus has taken them (docs/architecture.md "Durability") and a concurrent drain
// for the same account never delivers a row twice.
import type { AmpWork } from "@xmppd/bus";
import { tryParseJid } from "@xmppd/jid";
import { PoisonWorkError } from "../context.ts";
import type { Outcome, WorkContext } from "../context.ts";
import { blockedSenders, refuseBlocked } from "../blocked.ts";
import { withDelay } from "../delay.ts";
import { deliverTo, findSession } from "../delivery.ts";
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
  // XEP-0013 §2.2: no flood while a resource of the account retrieves flexibly (the router does
  // not ask then; this covers a resource that started doing so while the flush was queued).
  if (isFlexible(await ctx.sessions.get(owner))) return "flexible";
  // Most logins find nothing stored: one read under the owner's lock instead of the block list,
  // an expiry pass and a drain (each its own transaction). The mark it leaves lets the routers
  // skip this request at the next logins (nothing-stored.ts).
  if (!(await ctx.offline.hasStored(owner, { whenNoneStored: (o) => ctx.sessions.markNothingStored(o) }))) return "nothing";
  let stale = false;
  const blocked = await blockedSenders(ctx, owner);
  let refused = 0;
  const delivered = await drainExpiring(ctx, owner, async () => {
    let expired = false;
    const n = await ctx.offline.drain(owner, async (rows) => {
      // The resource may go away between pages; stop and keep the rest stored for its next login.
      const session = await findSession(ctx, owner, jid.toString());
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
    }, FLUSH_PAGE);
    ctx.metrics.offlineDelivered.inc(n - refused);
    await releaseQueued(ctx, owner, n);
    return { n, expired: expired && !stale };
  });
  if (stale) return delivered > 0 ? "flushed-partly" : "stale";
  return delivered > 0 ? "flushed" : "nothing";
}
