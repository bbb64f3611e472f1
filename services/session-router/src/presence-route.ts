// Presence with a 'to' at a local account (RFC 6121 §3, §4.3, §4.6): subscription management,
// probes, and directed presence, which the server remembers so that the addressee is told when
// the session goes unavailable (§4.6.3).
import type { Jid } from "@xmppd/jid";
import type { Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { replyTo, type RouterContext } from "./context.ts";
import { refuseBlocked, verdictFor } from "./blocking.ts";
import { deliverLocal } from "./local-delivery.ts";
import { presencesOf } from "./presence-delivery.ts";
import { isSubscriptionType, sendSubscription } from "./presence-subscription.ts";
import { bounce, type Routed } from "./replies.ts";
import { fromElement } from "./routed-stanza.ts";

/** Directed-presence addressees remembered per session; beyond, the oldest is dropped. */
const MAX_DIRECTED = 100;
const TYPES = new Set(["unavailable", "subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error"]);

/** RFC 6121 §4.7.1: absent (available) or one of the defined types. */
export function isPresenceType(type: string | undefined): boolean {
  return type === undefined || TYPES.has(type);
}

export async function routePresence(ctx: RouterContext, state: ConnState, el: Element, sender: Jid, to: Jid, seq: number): Promise<Routed> {
  const type = el.attrs.type as string | undefined;
  // RFC 6120 §8.3.3.1: an undefined presence type is a bad request.
  if (!isPresenceType(type)) return bounce(ctx, state, el, "bad-request");
  // XEP-0191 §5.3: subscriptions and probes between blocked parties go nowhere (directed
  // presence is checked by deliverLocal with the recipient's sessions).
  if (isSubscriptionType(type) || type === "probe") {
    const verdict = await verdictFor(ctx, sender.toString(), to);
    if (verdict !== "none") return refuseBlocked(ctx, state, fromElement(el), "presence", verdict);
  }
  // §3.1.2 and the like: subscription requests and answers are addressed to the bare JID.
  if (isSubscriptionType(type)) {
    const refused = await sendSubscription(ctx, el, sender, to, type);
    if (refused) return bounce(ctx, state, el, refused, to.bareString());
    return "presence";
  }
  if (type === "probe") return probe(ctx, state, sender, to);
  const routed = await deliverLocal(ctx, state, fromElement(el), "presence", to, seq);
  if (type === undefined || type === "unavailable") await rememberDirected(ctx, state, sender, to, type === undefined);
  return routed;
}

/**
 * §4.3: probes are the server's business, but a client may send one (e.g. after an error); it is
 * answered from the session store when the sender may see the contact's presence (its own
 * account, or subscription to|both), and ignored otherwise (§4.3.2: nothing is revealed).
 */
async function probe(ctx: RouterContext, state: ConnState, sender: Jid, to: Jid): Promise<Routed> {
  const user = sender.bareString();
  const contact = to.bareString();
  const item = user === contact ? null : await ctx.rosters.item(user, contact);
  const allowed = user === contact || item?.subscription === "to" || item?.subscription === "both";
  if (!allowed) return "ignore";
  const sessions = (await ctx.sessions.get(contact)).filter((s) => to.isBare() || s.jid === to.toString());
  for (const p of presencesOf(sessions)) {
    p.attrs.to = sender.toString();
    replyTo(ctx, state, p);
  }
  return "presence";
}

/**
 * §4.6.3: directed available presence to someone who is not a subscriber is remembered in the
 * session record (so that any router, even the one that sweeps a dead gateway, can send the
 * unavailable); directed unavailable presence settles it. Subscribers get the broadcast anyway.
 */
async function rememberDirected(ctx: RouterContext, state: ConnState, sender: Jid, to: Jid, available: boolean): Promise<void> {
  const user = sender.bareString();
  const target = to.toString();
  if (to.bareString() === user) return;
  if (available && (await ctx.rosters.authorises(user, to.bareString()))) return;
  const self = (await ctx.sessions.get(user)).find((s) => s.jid === sender.toString() && s.conn === state.conn);
  if (!self) return;
  const current = self.directed ?? [];
  const next = available ? (current.includes(target) ? current : [...current, target].slice(-MAX_DIRECTED)) : current.filter((j) => j !== target);
  if (next.length !== current.length || next[0] !== current[0]) await ctx.sessions.annotate(self.jid, state.conn, { directed: next });
}
