// XEP-0079 at the sender's edge. DP-03 (a)-(c) need no recipient state, so a local client's
// message with <amp/> is validated here, before anything is enqueued (a cheap rejection, no
// JetStream write); a valid one is evaluated by an AMP worker against the recipient's state
// (DP-01: exactly once, at the recipient edge, which for local traffic is this same server).
import type { Jid } from "@xmppd/jid";
import { ampCore } from "@xmppd/modules";
import { NS_AMP } from "@xmppd/stanza";
import type { Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { replyTo, type RouterContext } from "./context.ts";

/** A cheap test on the gateway's bytes: only stanzas that might carry <amp/> leave the fast path. */
export function mayCarryAmp(xml: string): boolean {
  return xml.includes(NS_AMP);
}

/**
 * "none": no AMP processing (no <amp/>, or an error message: DP-15). The rules: they passed
 * DP-03 (a)-(c). "rejected": the sender got the validation error and the message goes nowhere.
 */
export function screenAmp(ctx: RouterContext, state: ConnState, el: Element, sender: Jid): "none" | ampCore.Rule[] | "rejected" {
  if (el.attrs.type === "error") return "none";
  const request = ampCore.parseAmp(el);
  if (!request) return "none";
  const result = ampCore.validateAmp(el, request);
  if (result.ok) return result.rules;
  // DP-04: a validation error comes from the sender's own domain.
  replyTo(ctx, state, ampCore.validationErrorReply(el, request, result.kind, result.offending, sender.domain));
  ctx.metrics.ampRejected(result.kind);
  return "rejected";
}
