// What the roster module may do beyond its store (RFC 6121 §2): push to the account's interested
// resources, mark a resource interested, and have the router send the subscription presence a
// removal causes (§2.5.2).
import { randomBytes } from "node:crypto";
import type { ModuleCapabilities } from "@xmppd/modules";
import type { RosterStore } from "@xmppd/storage";
import type { Element } from "@xmppd/xml";
import type { RouterContext } from "./context.ts";
import { bareOf, toSession } from "./presence-delivery.ts";
import { rosterRemoved } from "./presence-subscription.ts";

/** `ctx` is read at call time: the module host is built before the context that holds it. */
export function rosterCapabilities(rosters: RosterStore, ctx: () => RouterContext): ModuleCapabilities {
  return {
    rosters,
    push: (bare, el) => pushToInterested(ctx(), bare, el),
    interested: (full) => markInterested(ctx(), full),
    rosterRemoved: (owner, item) => rosterRemoved(ctx(), owner, item),
  };
}

/** §2.1.6: to each resource that asked for the roster, each push with its own id. */
export async function pushToInterested(ctx: RouterContext, bare: string, el: Element): Promise<void> {
  for (const s of await ctx.sessions.get(bare)) {
    if (!s.interested) continue;
    el.attrs.to = s.jid;
    el.attrs.id = `push-${randomBytes(6).toString("hex")}`;
    toSession(ctx, s, el);
  }
}

async function markInterested(ctx: RouterContext, full: string): Promise<void> {
  const rec = (await ctx.sessions.get(bareOf(full))).find((s) => s.jid === full);
  if (rec && !rec.interested) await ctx.sessions.annotate(full, rec.conn, { interested: true });
}
