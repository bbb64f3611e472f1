// Answers the router sends back to the stanza's sender.
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
