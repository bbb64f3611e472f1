// Subscription presence between local accounts (RFC 6121 §3): the sender's server half of the
// state machine (Appendix A.2), then the contact's server half (A.3), then the presence each
// answer makes flow (§3.1.5, §3.2.1, §3.3.3). Both halves run here: there is no server-to-server,
// so a contact at another domain was already answered remote-server-not-found.
import type { Jid } from "@xmppd/jid";
import { subscriptions } from "@xmppd/modules";
import { NS_CLIENT, type StanzaErrorCondition } from "@xmppd/stanza";
import type { RosterItem } from "@xmppd/storage";
import { xml, type Element } from "@xmppd/xml";
import type { RouterContext } from "./context.ts";
import { isLocal, presencesOf, toAvailable, unavailablesOf } from "./presence-delivery.ts";
import { transition } from "./roster-transition.ts";

type SubscriptionType = subscriptions.SubscriptionType;

export function isSubscriptionType(type: string | undefined): type is SubscriptionType {
  return (subscriptions.SUBSCRIPTION_TYPES as readonly (string | undefined)[]).includes(type);
}

/**
 * The account `sender` sends subscription presence to the local account `to`. Returns the error
 * for the sender when a roster that would have to grow is full (RFC 6121 §2.3.3 / §3.1.3).
 */
export async function sendSubscription(ctx: RouterContext, el: Element, sender: Jid, to: Jid, type: SubscriptionType): Promise<StanzaErrorCondition | null> {
  const user = sender.bareString();
  const contact = to.bareString();
  // A subscription to oneself has no meaning: every resource already sees the others (§4.2.2).
  if (user === contact) return null;
  const out = await transition(ctx, user, contact, (s) => subscriptions.outbound(s, type));
  if (out.full) return "not-allowed";
  if (!out.result.route) return null;
  // §3.1.2, §3.2.1: the server stamps the bare JIDs; the client's children (status, nick) stay.
  const stanza = subscriptionStanza(el, type, user, contact);
  if (!(await accountExists(ctx, contact))) {
    // §3.1.3: no such account: the contact's server answers a request with unsubscribed.
    if (type === "subscribe") await receiveSubscription(ctx, contact, user, "unsubscribed", subscriptionStanza(null, "unsubscribed", contact, user));
    return null;
  }
  if (!(await receiveSubscription(ctx, user, contact, type, stanza))) return "resource-constraint";
  // §3.1.5: approving makes the user's presence flow to the contact; §3.2.1: cancelling ends it.
  if (type === "subscribed") await presenceFlow(ctx, user, contact, "available");
  if (type === "unsubscribed") await presenceFlow(ctx, user, contact, "unavailable");
  return null;
}

/**
 * Subscription presence from `from` arrives for the local account `to` (A.3). False: `to`'s
 * roster is full. `autoReply`: a `subscribed` the server sends on `from`'s behalf (§3.1.3).
 */
export async function receiveSubscription(ctx: RouterContext, from: string, to: string, type: SubscriptionType, stanza: Element, autoReply = false): Promise<boolean> {
  const stored = type === "subscribe" ? stanza.toString() : null;
  const { result, before, after, full } = await transition(ctx, to, from, (s) => subscriptions.inbound(s, type), stored);
  if (full) return false;
  // §3.1.3: an offline account gets the request later, from the stored copy (initialPresence).
  // The answer to a request from a contact already subscribed reaches it too, though it changes
  // nothing there (A.3.3 would ignore a `subscribed` nobody asked for): the contact asked.
  if (result.deliver || (autoReply && subscriptions.hasTo(before))) await toAvailable(ctx, [to], stanza);
  if (result.autoReply === "subscribed") {
    // §3.1.3 / §3.4: approved already (or pre-approved): answered on the account's behalf, and
    // the request is not delivered to the account.
    const reply = subscriptionStanza(null, "subscribed", to, from);
    if (stanza.attrs.id) reply.attrs.id = stanza.attrs.id;
    await receiveSubscription(ctx, to, from, "subscribed", reply, true);
    await presenceFlow(ctx, to, from, "available");
  }
  // §3.3.3: the sender no longer sees the account: it gets the account's unavailable presence.
  if (type === "unsubscribe" && subscriptions.hasFrom(before) && !subscriptions.hasFrom(after)) {
    await presenceFlow(ctx, to, from, "unavailable");
  }
  return true;
}

/** §2.5.2: removing an item cancels the subscriptions both ways and any pending request. */
export async function rosterRemoved(ctx: RouterContext, owner: string, item: RosterItem): Promise<void> {
  const contact = item.jid;
  if (!isLocal(ctx, contact) || contact === owner || !(await accountExists(ctx, contact))) return;
  const s = subscriptions.stateOf(item);
  if (subscriptions.hasTo(s) || s.ask) {
    await receiveSubscription(ctx, owner, contact, "unsubscribe", subscriptionStanza(null, "unsubscribe", owner, contact));
  }
  if (subscriptions.hasFrom(s) || s.pendingIn) {
    await receiveSubscription(ctx, owner, contact, "unsubscribed", subscriptionStanza(null, "unsubscribed", owner, contact));
    if (subscriptions.hasFrom(s)) await presenceFlow(ctx, owner, contact, "unavailable");
  }
}

/** The presence of each available resource of `from` (or its unavailable) to `to`'s resources. */
async function presenceFlow(ctx: RouterContext, from: string, to: string, kind: "available" | "unavailable"): Promise<void> {
  const sessions = await ctx.sessions.get(from);
  const stanzas = kind === "available" ? presencesOf(sessions) : unavailablesOf(sessions);
  for (const p of stanzas) await toAvailable(ctx, [to], p);
}

function subscriptionStanza(el: Element | null, type: SubscriptionType, from: string, to: string): Element {
  const out = xml("presence", { xmlns: NS_CLIENT, type, from, to });
  for (const child of el?.children ?? []) if (typeof child !== "string") out.append(child);
  if (el?.attrs.id) out.attrs.id = el.attrs.id;
  return out;
}

async function accountExists(ctx: RouterContext, bare: string): Promise<boolean> {
  const at = bare.indexOf("@");
  if (at <= 0) return false;
  return (await ctx.users.get(bare.slice(at + 1), bare.slice(0, at))) !== null;
}
