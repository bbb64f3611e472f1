// XEP-0013 for the offline module: the offline store belongs to the AMP worker, so a request is
// put on the account's ordered partition of the work queue (behind any message or flush for the
// account already there) and the worker answers the requester directly. The session is marked
// first, in the connection's order, so its initial presence that follows brings no flood (§2.2).
import { encode, type AmpWork } from "@xmppd/bus";
import type { OfflineCapability } from "@xmppd/modules";
import type { Element } from "@xmppd/xml";
import type { RouterContext } from "./context.ts";
import { bareOf } from "./presence-delivery.ts";

export function offlineCapability(ctx: () => RouterContext): OfflineCapability {
  return { forward: (iq, from) => forward(ctx(), iq, from) };
}

async function forward(ctx: RouterContext, iq: Element, from: string): Promise<void> {
  const bare = bareOf(from);
  const rec = (await ctx.sessions.get(bare)).find((s) => s.jid === from);
  // The session is gone (its stream closed meanwhile): nobody to answer.
  if (!rec) return;
  if (!rec.flexOffline) await ctx.sessions.annotate(from, rec.conn, { flexOffline: true });
  const work: AmpWork = { t: "offline", jid: from, gw: rec.gateway, conn: rec.conn, xml: iq.toString() };
  await ctx.work.publish(ctx.ampQueue.subject("offline", bare), encode(work));
}
