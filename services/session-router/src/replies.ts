// Answers the router sends back to the stanza's sender.
import { WorkQueueFullError } from "@xmppd/bus";
import { errorReply, type StanzaErrorCondition } from "@xmppd/stanza";
import type { Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { replyTo, type RouterContext } from "./context.ts";

export type StanzaKind = "message" | "presence" | "iq";
/** What happened to a stanza (the "outcome" label of xmpp_router_stanzas_routed_total). */
export type Routed = "deliver" | "offline" | "amp" | "error" | "ignore" | "server" | "presence";

/** Lets the module host answer an IQ as `entity` (a served domain, or an account's bare JID). */
export async function answerIq(ctx: RouterContext, state: ConnState, el: Element, entity: string, isServer: boolean): Promise<Routed> {
  const reply = await ctx.modules.handleIq(el, { entity, isServer, from: el.attrs.from as string });
  replyTo(ctx, state, reply);
  return "server";
}

export function bounce(ctx: RouterContext, state: ConnState, el: Element, condition: StanzaErrorCondition, from?: string): Routed {
  replyTo(ctx, state, errorReply(el, condition, from === undefined ? undefined : { from }));
  ctx.metrics.outcome("bounced", condition);
  return "error";
}

/**
 * A stanza whose routing failed for good (not isTransient): neither delivered nor stored, so it
 * goes back to its sender (invariant 1) and its seq is acknowledged. The AMP work queue at its
 * bound (amp.queue) is a load the sender may retry later: RFC 6120 §8.3.3.18 resource-constraint,
 * type "wait"; anything else is internal-server-error.
 */
export function bounceFailed(ctx: RouterContext, state: ConnState, el: Element, err: unknown): Routed {
  if (!(err instanceof WorkQueueFullError)) {
    ctx.log.error({ err, conn: state.conn }, "routing failed; bouncing the stanza");
    return bounce(ctx, state, el, "internal-server-error");
  }
  ctx.log.warn({ bound: err.bound, conn: state.conn }, "AMP work queue full; bouncing the stanza with resource-constraint");
  const reply = errorReply(el, "resource-constraint");
  // An error stanza is never answered with another (RFC 6120 §8.3.1): it ends here.
  if (reply === null) return ctx.metrics.outcome("dropped", "work-queue-full"), "error";
  replyTo(ctx, state, reply);
  ctx.metrics.outcome("bounced", "work-queue-full");
  return "error";
}
