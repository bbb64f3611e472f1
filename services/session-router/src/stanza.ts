// One client stanza, after authentication: parse, stamp, address, dispatch (RFC 6120 §10).
import { tryParseJid, type Jid } from "@xmppd/jid";
import { isTransient } from "@xmppd/runtime";
import { errorReply } from "@xmppd/stanza";
import type { Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { replyTo, type RouterContext } from "./context.ts";
import { handleBind, isBindRequest } from "./bind.ts";
import { refuseBlocked, verdictFor } from "./blocking.ts";
import { deliverLocal, enqueueMessage } from "./local-delivery.ts";
import { mayCarryAmp, screenAmp } from "./amp-intake.ts";
import { deliverAmpDirect } from "./amp-direct.ts";
import { copySentAmp } from "./carbons.ts";
import { answerIq, bounce, bounceFailed, type Routed, type StanzaKind } from "./replies.ts";
import { handleOwnPresence } from "./own-presence.ts";
import { routePresence } from "./presence-route.ts";
import { fromElement, fromParsed, type RoutedStanza } from "./routed-stanza.ts";
import { checkStanza, isRefusal, type Refusal } from "./identity.ts";

export interface StanzaEnvelope {
  seq: number;
  xml: string;
}

/**
 * `sender` is the identity this router established for the connection (identity.ts actingAs),
 * not the JID the envelope names. Returns a refusal when the bytes are not one stanza of it.
 */
export async function handleStanza(ctx: RouterContext, state: ConnState, env: StanzaEnvelope, sender: Jid, startedAt: bigint): Promise<Refusal | void> {
  // Invariant 3: the bytes may be forwarded as they came, so they are checked first: one
  // well-formed stanza, from the identity (the gateway's hints name, to and type are not used).
  const el = checkStanza(env.xml, sender);
  if (isRefusal(el)) return el;
  if (sender.isBare()) {
    // RFC 6120 §7.1: before binding, the only stanza a client may send is the bind request.
    if (isBindRequest(el)) return handleBind(ctx, state, sender, el);
    return replyTo(ctx, state, errorReply(el, "not-authorized"));
  }
  // RFC 6120 §7.6.2.2: one resource per stream; a second bind is not allowed.
  if (isBindRequest(el)) return replyTo(ctx, state, errorReply(el, "not-allowed"));
  const kind = el.name as StanzaKind;
  const full = sender.toString();
  if (kind === "message" && el.attrs.from === full) {
    const to = typeof el.attrs.to === "string" ? tryParseJid(el.attrs.to) : null;
    if (to && to.local !== "" && ctx.domains.has(to.domain) && !mayCarryAmp(env.xml)) return fastMessage(ctx, state, fromParsed(env.xml, el), to, env.seq, startedAt);
  }
  // The sender is who this router authenticated, whatever the stanza says (a bare `from` is allowed, §8.1.2.1).
  el.attrs.from = full;
  let outcome: Routed;
  try {
    outcome = await dispatch(ctx, state, el, kind, sender, env.seq);
  } catch (err) {
    // A dependency away for now: retried in place, unacknowledged (router.ts, connections.ts).
    if (isTransient(err)) throw err;
    // Storage or queue trouble (a full AMP work queue too): the stanza is neither delivered nor
    // stored, so it goes back to its sender as an error (invariant 1) and the seq is done.
    outcome = bounceFailed(ctx, state, el, err);
  }
  ctx.metrics.routed(kind, outcome, startedAt);
}

/**
 * The hot path: a message with an address at a local account, stamped by the gateway with this
 * very sender, is routed on the gateway's bytes (checked, not serialised again).
 */
async function fastMessage(ctx: RouterContext, state: ConnState, stanza: RoutedStanza, to: Jid, seq: number, startedAt: bigint): Promise<void> {
  let outcome: Routed;
  try {
    outcome = await deliverLocal(ctx, state, stanza, "message", to, seq);
  } catch (err) {
    if (isTransient(err)) throw err;
    outcome = bounceFailed(ctx, state, stanza.element(), err);
  }
  ctx.metrics.routed("message", outcome, startedAt);
}

async function dispatch(ctx: RouterContext, state: ConnState, el: Element, kind: StanzaKind, sender: Jid, seq: number): Promise<Routed> {
  // XEP-0079 DP-03: validated before any routing decision; DP-17: only messages carry AMP.
  const amp = kind === "message" ? screenAmp(ctx, state, el, sender) : "none";
  if (amp === "rejected") return "error";
  const toText = el.attrs.to as string | undefined;
  if (toText === undefined) {
    // RFC 6120 §10.3.2 / RFC 6121 §4.2: presence without 'to' is the user's own broadcast presence.
    if (kind === "presence") return handleOwnPresence(ctx, state, el, sender, seq);
    // RFC 6120 §10.3.1: a message without 'to' is treated as addressed to the sender's bare JID;
    // §10.3.3: an IQ without 'to' is processed by the server on behalf of the account.
    if (kind === "message") el.attrs.to = sender.bareString();
    else return answerIq(ctx, state, el, sender.bareString(), false);
  }
  const to = tryParseJid(el.attrs.to as string);
  // RFC 6120 §8.3.3.8: an address that does not prepare is jid-malformed.
  if (!to) return bounce(ctx, state, el, "jid-malformed");
  // No server-to-server yet: every other domain is unreachable (RFC 6120 §10.4.3).
  if (!ctx.domains.has(to.domain)) return bounce(ctx, state, el, "remote-server-not-found");
  if (to.local === "") return toServer(ctx, state, el, kind, to);
  if (Array.isArray(amp)) {
    // XEP-0191 §5.3 first: the AMP path must not carry what blocking refuses.
    // The sender's carbons count (XEP-0280 §7) and the recipient's sessions come in the same
    // lookup batch as its block list.
    const [verdict, own, recipient] = await Promise.all([verdictFor(ctx, sender.toString(), to), ctx.lookup(sender.bareString(), true), ctx.lookup(to.bareString())]);
    if (verdict !== "none") return refuseBlocked(ctx, state, fromElement(el), "message", verdict);
    const routed = fromElement(el);
    // No rule met and a resource to take it: delivered here; otherwise the AMP worker decides
    // delivery, storage or discard from the rules and the recipient's state.
    const direct = await deliverAmpDirect(ctx, el, amp, sender, to, recipient);
    if (!direct) await enqueueMessage(ctx, state, routed, to, seq, true);
    await copySentAmp(ctx, state, routed, to.bareString(), own);
    return direct ? "deliver" : "amp";
  }
  // RFC 6121 §3, §4.3, §4.6: subscriptions, probes and directed presence.
  if (kind === "presence") return routePresence(ctx, state, el, sender, to, seq);
  return deliverLocal(ctx, state, fromElement(el), kind, to, seq);
}

/** RFC 6120 §10.5.1 and §10.5.2: stanzas addressed to the server itself. */
async function toServer(ctx: RouterContext, state: ConnState, el: Element, kind: StanzaKind, to: Jid): Promise<Routed> {
  if (kind === "iq") {
    // The server has no resources of its own (<domain/resource>): nobody answers there.
    if (!to.isBare()) return bounce(ctx, state, el, "service-unavailable");
    return answerIq(ctx, state, el, to.domain, true);
  }
  // A message or presence for the server: RFC 6120 §10.5.1 lets the server handle it "as
  // appropriate"; no module consumes them yet, so they are dropped without a reply (an error
  // reply to, say, a headline from a bot would only bounce around).
  return "ignore";
}
