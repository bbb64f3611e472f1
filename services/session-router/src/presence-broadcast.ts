// The account's own presence going out (RFC 6121 §4.2 initial, §4.4 subsequent, §4.5
// unavailable) and what initial presence brings in (§4.3 probes, §3.1.3 pending requests).
import { NS_CLIENT } from "@xmppd/stanza";
import type { RecipientState, RosterPresenceView, SessionRecord } from "@xmppd/storage";
import { parseElement, xml, type Element } from "@xmppd/xml";
import { blockingCore } from "@xmppd/modules";
import { blocklistOf } from "./blocking.ts";
import type { RouterContext } from "./context.ts";
import { bareOf, isLocal, presencesOf, toAvailable, toJid, toSession } from "./presence-delivery.ts";

/**
 * §4.2.2 / §4.4.2 / §4.5.2: to every contact with subscription from|both, and to every available
 * resource of the account itself (the sender included, when it is available).
 */
export async function broadcast(
  ctx: RouterContext, fromFull: string, el: Element, known?: string[], found?: ReadonlyMap<string, RecipientState>,
): Promise<void> {
  const bare = bareOf(fromFull);
  el.attrs.from = fromFull;
  const subscribers = known ?? (await ctx.rosters.subscribersOf(bare));
  await toAvailable(ctx, [...subscribers, bare], el, found ? { found } : {});
}

/**
 * §4.3 and §4.2.2: the newly available resource gets the presence of every contact it is
 * subscribed to (answered from the session store, as the contacts' server would answer a probe)
 * and of the account's other resources; then §3.1.3: the subscription requests that arrived
 * while the account was offline. `view`: the roster as read for this presence (one read serves
 * the broadcast and this).
 */
export async function initialPresence(
  ctx: RouterContext, self: SessionRecord, view: RosterPresenceView, prefetched?: ReadonlyMap<string, RecipientState>,
): Promise<void> {
  const bare = bareOf(self.jid);
  const contacts = view.subscriptions.filter((c) => isLocal(ctx, c));
  const wanted = [...contacts, bare];
  const found = prefetched && wanted.every((b) => prefetched.has(b))
    ? new Map(wanted.map((b) => [b, prefetched.get(b)!]))
    : await ctx.sessions.lookup(wanted);
  const mine = await blocklistOf(ctx, bare, found.get(bare)?.blocked ?? null);
  for (const [contact, { sessions, blocked }] of found) {
    if (!sessions.some((s) => s.available)) continue;
    // XEP-0191 §5.3: nothing from a contact the user blocked, or one that blocked the user.
    if (contact !== bare && ctx.blocklists && (blockingCore.isBlocked(mine, contact) || blockingCore.isBlocked(await blocklistOf(ctx, contact, blocked), self.jid))) continue;
    for (const p of presencesOf(sessions.filter((s) => s.jid !== self.jid))) {
      p.attrs.to = self.jid;
      toSession(ctx, self, p);
    }
  }
  for (const stanza of view.pendingIn) {
    const request = parseElement(stanza);
    request.attrs.to = bare;
    toSession(ctx, self, request);
  }
}

/**
 * A session ended or went unavailable: §4.5.2 unavailable presence to the same audience as its
 * available presence, and §4.6.3 to everyone it sent directed presence to. `el` is the client's
 * own unavailable presence (it may carry a status), else a bare one.
 */
export async function sessionGone(ctx: RouterContext, rec: SessionRecord, el?: Element): Promise<void> {
  const unavailable = el ?? xml("presence", { xmlns: NS_CLIENT, type: "unavailable" });
  unavailable.attrs.type = "unavailable";
  if (rec.available) await broadcast(ctx, rec.jid, unavailable);
  if (rec.available) await recordLastActivity(ctx, rec, unavailable);
  for (const jid of rec.directed ?? []) {
    const copy = parseElement(unavailable.toString());
    copy.attrs.from = rec.jid;
    await toJid(ctx, jid, copy);
  }
}

/**
 * XEP-0012 §4: the account's last activity is the end of its last available session, with the
 * status of its unavailable presence; nothing is recorded while another resource is available.
 */
async function recordLastActivity(ctx: RouterContext, rec: SessionRecord, unavailable: Element): Promise<void> {
  if (!ctx.lastActivity) return;
  const bare = bareOf(rec.jid);
  if ((await ctx.sessions.get(bare)).some((s) => s.available && s.jid !== rec.jid)) return;
  await ctx.lastActivity.record(bare, new Date(), unavailable.getChildText("status") ?? "");
}
