// What a stored XEP-0191 change makes the router do: write the new list through to the cache,
// send the presence §5.3 and §5.4 require, and push the change to the resources that asked for
// the list (§5.3-§5.5).
import { randomBytes } from "node:crypto";
import { blockingCore, type BlockChange, type BlockingCapability } from "@xmppd/modules";
import { NS_CLIENT } from "@xmppd/stanza";
import { BLOCKLIST_CACHE_TTL_MS, type BlockStore } from "@xmppd/storage";
import { xml } from "@xmppd/xml";
import type { RouterContext } from "./context.ts";
import { bareOf, isLocal, presencesOf, toAvailable, toSession, unavailablesOf } from "./presence-delivery.ts";

export function blockingCapability(store: BlockStore, ctx: () => RouterContext): BlockingCapability {
  return {
    store,
    async requested(full) {
      const c = ctx();
      const rec = (await c.sessions.get(bareOf(full))).find((s) => s.jid === full);
      if (rec && !rec.blocklist) await c.sessions.annotate(full, rec.conn, { blocklist: true });
    },
    async changed(change) {
      const c = ctx();
      // Write-through: the whole list at its version (a concurrent older write cannot win).
      await c.sessions.cacheBlocklist(change.owner, await store.get(change.owner), BLOCKLIST_CACHE_TTL_MS);
      await presenceOnChange(c, change);
      await pushToRequested(c, change);
    },
  };
}

/**
 * §5.3: a newly blocked contact allowed to see the user's presence (subscription from|both) gets
 * the unavailable presence of each of the user's available resources. §5.4: a newly unblocked one
 * gets their current presence, and the user gets the contact's when subscribed to it (updates
 * were dropped while blocked). Full-JID items are left alone: presence goes to bare JIDs.
 */
async function presenceOnChange(ctx: RouterContext, change: BlockChange): Promise<void> {
  if (change.blocked.length === 0 && change.unblocked.length === 0) return;
  const { owner } = change;
  const own = await ctx.sessions.get(owner);
  const affected = (jids: string[], contacts: string[]) => contacts.filter((c) => isLocal(ctx, c) && blockingCore.isBlocked(jids, c));
  const subscribers = await ctx.rosters.subscribersOf(owner);
  for (const contact of affected(change.blocked, subscribers)) {
    for (const p of unavailablesOf(own)) await toAvailable(ctx, [contact], p, { unfiltered: true });
  }
  if (change.unblocked.length === 0) return;
  for (const contact of affected(change.unblocked, subscribers)) {
    for (const p of presencesOf(own)) await toAvailable(ctx, [contact], p);
  }
  for (const contact of affected(change.unblocked, await ctx.rosters.subscriptionsOf(owner))) {
    for (const p of presencesOf(await ctx.sessions.get(contact))) await toAvailable(ctx, [owner], p);
  }
}

async function pushToRequested(ctx: RouterContext, change: BlockChange): Promise<void> {
  for (const s of await ctx.sessions.get(change.owner)) {
    if (!s.blocklist) continue;
    const iq = xml("iq", { xmlns: NS_CLIENT, type: "set", to: s.jid, id: `push-${randomBytes(6).toString("hex")}` }, change.push);
    toSession(ctx, s, iq);
  }
}
