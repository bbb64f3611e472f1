// Resource binding (RFC 6120 §7): prepare or generate the resource, register the session
// atomically (at most limits.resourcesPerAccount), and replace a session on the same full JID.
import { randomBytes } from "node:crypto";
import { tryParseJid, type Jid } from "@xmppd/jid";
import { NS_BIND, errorReply } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { replyTo, sendToGateway, type RouterContext } from "./context.ts";
import { blocklistOf } from "./blocking.ts";
import { logBound } from "./auth-log.ts";
import { establish } from "./identity.ts";
import { sessionGone } from "./presence-broadcast.ts";
import { smReplaced } from "./sm-lifecycle.ts";

/** True for the bind request <iq type="set"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>. */
export function isBindRequest(el: Element): boolean {
  return el.is("iq") && el.attrs.type === "set" && el.getChild("bind", NS_BIND) !== undefined;
}

/**
 * Binds the resource of a bind request, or with `legacy` the resource of an XEP-0078
 * authentication (`iq` is then its jabber:iq:auth set, answered with an empty result).
 */
export async function handleBind(ctx: RouterContext, state: ConnState, account: Jid, iq: Element, legacy?: { resource: string }): Promise<void> {
  const requested = legacy ? legacy.resource : iq.getChild("bind", NS_BIND)?.getChildText("resource");
  // RFC 6120 §7.6: no (or an empty) resource: the server generates one; 12 random bytes give
  // 16 characters, unguessable and unique in practice.
  const resource = requested ? requested : randomBytes(12).toString("base64url");
  const full = tryParseJid(`${account.bareString()}/${resource}`);
  // RFC 6120 §7.7.2.1: a resource that cannot be prepared is a bad-request.
  if (!full || full.isBare()) return replyTo(ctx, state, errorReply(iq, "bad-request", { type: "modify" }));
  const jid = full.toString();
  const result = await ctx.sessions.bind(
    { jid, gateway: state.gw, conn: state.conn, available: false, priority: 0, boundAt: Date.now() },
    ctx.config.gateway.limits.resourcesPerAccount,
  );
  if (!result.ok) {
    // RFC 6120 §7.6.2.1: the account has reached its limit of connected resources.
    return replyTo(ctx, state, errorReply(iq, "resource-constraint", { type: "wait" }));
  }
  const old = result.replaced;
  if (old && !(old.gateway === state.gw && old.conn === state.conn)) {
    // RFC 6120 §7.7.2.2: the new session overrides the old one, which is closed with <conflict/>.
    sendToGateway(ctx, old.gateway, { t: "close", conn: old.conn, condition: "conflict", text: "Replaced by new connection" });
    // The replaced session ends here (its own close will find nothing to unbind): RFC 6121 §4.5.2.
    await sessionGone(ctx, old);
    await smReplaced(ctx, old);
  }
  // The connection is this resource now (also for XEP-0078, which authenticates and binds at once).
  establish(state, jid);
  state.available = false;
  state.priority = 0;
  state.carbons = false;
  // XEP-0191: the account's block list is cached from its first login on (after a Redis restart
  // too), so its first messages find it beside the sessions.
  await blocklistOf(ctx, account.bareString(), (await ctx.lookup(account.bareString(), true)).blocked);
  ctx.metrics.bound();
  logBound(ctx, state, jid);
  if (legacy) {
    // XEP-0078 §2.2: authenticated and bound at once; the result is empty.
    const result = xml("iq", { type: "result", id: iq.attrs.id });
    return sendToGateway(ctx, state.gw, { t: "bound", conn: state.conn, jid, xml: result.toString(), legacyAuth: true });
  }
  const reply = xml("iq", { type: "result", id: iq.attrs.id }, xml("bind", { xmlns: NS_BIND }, xml("jid", {}, jid)));
  sendToGateway(ctx, state.gw, { t: "bound", conn: state.conn, jid, xml: reply.toString() });
}
