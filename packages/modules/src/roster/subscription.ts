// RFC 6121 Appendix A: the subscription state machine, pure. A state is one account's view of
// one contact: whether each direction is subscribed, whether the account's own request is
// pending (ask, "Pending Out"), whether the contact's request awaits an answer ("Pending In"),
// and whether the account pre-approved the contact (§3.4).
import type { RosterItem, RosterSubscription } from "@xmppd/storage";

export type SubscriptionType = "subscribe" | "subscribed" | "unsubscribe" | "unsubscribed";

export const SUBSCRIPTION_TYPES: readonly SubscriptionType[] = ["subscribe", "subscribed", "unsubscribe", "unsubscribed"];

export interface SubState {
  subscription: RosterSubscription;
  ask: boolean;
  pendingIn: boolean;
  approved: boolean;
}

export interface Outbound {
  next: SubState;
  /** The stanza goes on to the contact's server (otherwise the server keeps it, e.g. a pre-approval). */
  route: boolean;
}

export interface Inbound {
  next: SubState;
  /** The stanza is delivered to the account's available resources. */
  deliver: boolean;
  /** The server answers on the account's behalf (§3.1.3: already subscribed, or pre-approved). */
  autoReply: "subscribed" | null;
}

export const NONE: SubState = { subscription: "none", ask: false, pendingIn: false, approved: false };

export const hasTo = (s: SubState): boolean => s.subscription === "to" || s.subscription === "both";
export const hasFrom = (s: SubState): boolean => s.subscription === "from" || s.subscription === "both";

function withDirections(s: SubState, to: boolean, from: boolean): SubState {
  const subscription: RosterSubscription = to ? (from ? "both" : "to") : from ? "from" : "none";
  return { ...s, subscription };
}

/** The state part of a stored item (no item: "None"). */
export function stateOf(item: RosterItem | null): SubState {
  if (!item) return NONE;
  return { subscription: item.subscription, ask: item.ask === "subscribe", pendingIn: item.pendingIn, approved: item.approved };
}

export function sameState(a: SubState, b: SubState): boolean {
  return a.subscription === b.subscription && a.ask === b.ask && a.pendingIn === b.pendingIn && a.approved === b.approved;
}

/** A.2: the account sends subscription presence to the contact. */
export function outbound(s: SubState, type: SubscriptionType): Outbound {
  switch (type) {
    case "subscribe":
      // A.2.1: Pending Out unless already subscribed; routed either way (the contact's server
      // auto-replies when it already approved, §3.1.3).
      return { next: hasTo(s) ? s : { ...s, ask: true }, route: true };
    case "unsubscribe":
      // A.2.2: the 'to' direction and any pending request end.
      return { next: { ...withDirections(s, false, hasFrom(s)), ask: false }, route: true };
    case "subscribed":
      // A.2.3: approves a pending request; with none pending it is a pre-approval (§3.4), kept
      // by the server and not routed. Already 'from': nothing to do.
      if (s.pendingIn) return { next: { ...withDirections(s, hasTo(s), true), pendingIn: false, approved: false }, route: true };
      if (hasFrom(s)) return { next: s, route: false };
      return { next: { ...s, approved: true }, route: false };
    case "unsubscribed":
      // A.2.4: denies a pending request or cancels the contact's subscription; also cancels a
      // pre-approval (§3.4), which the contact never learns of.
      if (s.pendingIn || hasFrom(s)) return { next: { ...withDirections(s, hasTo(s), false), pendingIn: false, approved: false }, route: true };
      return { next: { ...s, approved: false }, route: false };
  }
}

/** A.3: subscription presence from the contact arrives for the account. */
export function inbound(s: SubState, type: SubscriptionType): Inbound {
  switch (type) {
    case "subscribe":
      // A.3.1 and §3.1.3: already 'from', or pre-approved: the server approves on the account's
      // behalf. Already pending: not delivered again.
      if (hasFrom(s)) return { next: s, deliver: false, autoReply: "subscribed" };
      if (s.approved) return { next: { ...withDirections(s, hasTo(s), true), approved: false, pendingIn: false }, deliver: false, autoReply: "subscribed" };
      if (s.pendingIn) return { next: s, deliver: false, autoReply: null };
      return { next: { ...s, pendingIn: true }, deliver: true, autoReply: null };
    case "subscribed":
      // A.3.3 and §3.1.6: only an answer to the account's own pending request counts.
      if (!s.ask) return { next: s, deliver: false, autoReply: null };
      return { next: { ...withDirections(s, true, hasFrom(s)), ask: false }, deliver: true, autoReply: null };
    case "unsubscribe":
      // A.3.2: the contact ends its subscription to the account (or withdraws its request).
      if (!hasFrom(s) && !s.pendingIn) return { next: s, deliver: false, autoReply: null };
      return { next: { ...withDirections(s, hasTo(s), false), pendingIn: false }, deliver: true, autoReply: null };
    case "unsubscribed":
      // A.3.4: the contact denies the account's request or cancels its subscription.
      if (!hasTo(s) && !s.ask) return { next: s, deliver: false, autoReply: null };
      return { next: { ...withDirections(s, false, hasFrom(s)), ask: false }, deliver: true, autoReply: null };
  }
}

/** The stored item after a transition: the state applied to the old item, or a new bare one. */
export function applyState(contact: string, item: RosterItem | null, s: SubState, pendingInStanza: string | null): RosterItem {
  return {
    jid: contact,
    name: item?.name ?? null,
    groups: item?.groups ?? [],
    subscription: s.subscription,
    ask: s.ask ? "subscribe" : null,
    approved: s.approved,
    pendingIn: s.pendingIn,
    pendingInStanza: s.pendingIn ? pendingInStanza ?? item?.pendingInStanza ?? null : null,
  };
}

/**
 * Whether the account's client sees the item. An item the server made only to remember a
 * contact's pending request (RFC 6121 §3.1.3: the request is not a roster item) stays hidden
 * until the account answers or adds it itself.
 */
export function isVisible(item: RosterItem): boolean {
  const onlyPendingIn = item.subscription === "none" && item.ask === null && !item.approved && item.pendingIn;
  return !(onlyPendingIn && item.name === null && item.groups.length === 0);
}
