// Flush stored messages to a resource that just became available (RFC 6121 §8.5.2.2.1 and
// XEP-0160): oldest first, each with XEP-0203 <delay/>. Rows are deleted only after the bus has
// taken the deliveries (ARCHITECTURE "Durability"), so a crash in between redelivers, never loses.
import type { AmpWork } from "@xmppd/bus";
import { PoisonWorkError } from "../context.ts";
import type { Outcome, WorkContext } from "../context.ts";
import { tryParseJid } from "@xmppd/jid";
import { withDelay } from "../delay.ts";
import { deliverTo, findSession } from "../delivery.ts";

type FlushWork = Extract<AmpWork, { t: "flush" }>;

/** Rows read, delivered and deleted per round trip. */
export const FLUSH_PAGE = 50;

export async function handleFlush(work: FlushWork, ctx: WorkContext): Promise<Outcome> {
  const jid = tryParseJid(work.jid);
  if (!jid || jid.isBare()) throw new PoisonWorkError(`flush for a JID without resource: ${work.jid}`);
  const owner = jid.bareString();
  const target = { gateway: work.gw, conn: work.conn };
  let delivered = 0;
  for (;;) {
    // The resource may go away between pages; stop and keep the rest stored for its next login.
    const session = await findSession(ctx, owner, jid.toString());
    if (!session || session.conn !== work.conn || session.gateway !== work.gw) return delivered > 0 ? "flushed-partly" : "stale";
    const page = await ctx.offline.list(owner, FLUSH_PAGE);
    if (page.length === 0) break;
    for (const row of page) deliverTo(ctx, target, withDelay(row.stanza, jid.domain, row.storedAt).toString());
    await ctx.bus.flush();
    await ctx.offline.delete(page.map((row) => row.id));
    ctx.metrics.offlineDelivered.inc(page.length);
    delivered += page.length;
    if (page.length < FLUSH_PAGE) break;
  }
  return delivered > 0 ? "flushed" : "nothing";
}
