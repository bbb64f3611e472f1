// Invariant 3 in the private tier (docs/architecture.md): a router acts on a gateway's connection only
// as the identity it established itself, never as the JID an envelope names. The gateway is
// known from the subject (router.ts); what it says about its connection is checked here against
// ConnState.identity, recorded at SASL success, bind (also XEP-0078) and XEP-0198 resumption, or
// adopted from the session store after a router failover. See docs/security-router-trust.md.
import { NS_CLIENT } from "@xmppd/stanza";
import { tryParseJid, type Jid } from "@xmppd/jid";
import { parseElement, type Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { sendToGateway, type RouterContext } from "./context.ts";

/**
 * Why an envelope was refused (label `reason` of xmpp_router_refused_envelopes_total):
 * - unbound-connection: no identity known for the connection, nor verifiable in the session store;
 * - jid-mismatch: the envelope, or the stanza's `from`, names another JID than the identity;
 * - malformed-stanza: stanza bytes that are not exactly one well-formed jabber:client stanza;
 * - already-authenticated: SASL or a pre-authentication IQ on a connection with an identity.
 * - sm-mismatch: a re-registration (reregister.ts) naming another XEP-0198 session than the
 *   router's own for the connection, or unacknowledged deliveries it cannot hold.
 */
export type Refusal = "unbound-connection" | "jid-mismatch" | "malformed-stanza" | "already-authenticated" | "sm-mismatch";

export const REFUSALS: readonly Refusal[] = ["unbound-connection", "jid-mismatch", "malformed-stanza", "already-authenticated", "sm-mismatch"];

export function isRefusal(v: unknown): v is Refusal {
  return typeof v === "string" && (REFUSALS as readonly string[]).includes(v);
}

/**
 * How long a full identity is believed without looking at the session store again. Another
 * connection may take the session over meanwhile (a bind of the same resource, RFC 6120 §7.7.2.2,
 * or an XEP-0198 resumption elsewhere), or the gateway may be declared dead; the old connection's
 * gateway is told to close it, but a hostile one would not, and would go on speaking as that JID
 * through this router. Past this age the next envelope finds out, at one session read per active
 * connection per period.
 */
export const IDENTITY_RECHECK_MS = 10_000;

/** Records what this router established for the connection (canonical bare or full JID). */
export function establish(st: ConnState, jid: string): void {
  if (st.identity !== jid) st.jid = undefined;
  st.identity = jid;
  st.checkedAt = Date.now();
}

/** The connection's session was taken over or removed: this router knows nobody on it any more. */
export function forgetIdentity(st: ConnState): void {
  st.identity = undefined;
  st.jid = undefined;
  st.sm = undefined;
  st.checkedAt = undefined;
}

/** The identity as a Jid, parsed once per connection. */
export function identityJid(st: ConnState): Jid | null {
  const text = st.identity;
  if (text === undefined) return null;
  if (st.jid?.text === text) return st.jid.jid;
  const jid = tryParseJid(text);
  if (jid) st.jid = { text, jid };
  return jid;
}

/**
 * The JID to act as for an envelope naming `claimed`, or why not. `closing`: a "closed" envelope.
 *
 * With an identity, `claimed` must be it, or its bare JID when it is a full one: the gateway names
 * the account until the router's answer to a bind or resumption reaches it, so a "closed" (or a
 * second bind iq, answered not-allowed) may cross that answer. The router acts as its identity.
 *
 * Without one (this router took the connection over after another died; the gateway replays from
 * its "open"), a full JID is believed only when the session store binds it to this very gateway
 * and connection; it is adopted with the session's XEP-0198 id, availability and priority. A bare
 * JID names an authentication that nothing stored can confirm, so it is refused; only a "closed"
 * may name one, to end a session of that account bound to this very connection.
 */
export async function actingAs(ctx: RouterContext, st: ConnState, claimed: string, closing = false): Promise<Jid | Refusal> {
  const own = identityJid(st);
  if (own) {
    if (claimed !== st.identity && (own.isBare() || claimed !== own.bareString())) return "jid-mismatch";
    if (own.isBare() || closing || Date.now() - (st.checkedAt ?? 0) < IDENTITY_RECHECK_MS) return own;
    const recs = await ctx.sessions.get(own.bareString());
    const still = recs.some((r) => r.jid === st.identity && r.gateway === st.gw && r.conn === st.conn);
    // Missing, not taken: after the store lost its data the gateway re-registers the session
    // (reregister.ts), and the connection is not reset meanwhile. Checked again next envelope.
    if (!still && !recs.some((r) => r.jid === st.identity) && (ctx.epoch.recentLoss() || (await ctx.epoch.check()))) return own;
    if (!still) return forgetIdentity(st), "unbound-connection";
    st.checkedAt = Date.now();
    return own;
  }
  const jid = tryParseJid(claimed);
  if (!jid || (jid.isBare() && !closing)) return "unbound-connection";
  const rec = (await ctx.sessions.get(jid.bareString())).find(
    (r) => r.gateway === st.gw && r.conn === st.conn && (jid.isBare() || r.jid === jid.toString()),
  );
  if (!rec) return "unbound-connection";
  establish(st, rec.jid);
  // The stored session, not the gateway, says which XEP-0198 session the connection carries.
  st.sm = rec.sm;
  st.available = rec.available;
  st.priority = rec.priority;
  st.presence = rec.presence;
  return identityJid(st) ?? "unbound-connection";
}

/**
 * Stanza bytes from a gateway: exactly one well-formed element (parseElement refuses anything
 * after it, RFC 6120 §11 restricted XML), a message, presence or iq of jabber:client (§8), whose
 * `from`, if any, is the identity or its bare JID (an honest gateway stamps the full JID, §8.1.2.1).
 */
export function checkStanza(xml: string, identity: Jid): Element | Refusal {
  let el: Element;
  try {
    el = parseElement(xml);
  } catch {
    return "malformed-stanza";
  }
  if (!isClientStanza(el)) return "malformed-stanza";
  const from = el.attrs.from as string | undefined;
  if (from !== undefined && from !== identity.toString() && from !== identity.bareString()) return "jid-mismatch";
  return el;
}

/** One delivery sent back by a gateway to be numbered (XEP-0198 "seq"): one stanza, nothing around it. */
export function checkDelivery(xml: string): Element | Refusal {
  try {
    const el = parseElement(xml);
    return isClientStanza(el) ? el : "malformed-stanza";
  } catch {
    return "malformed-stanza";
  }
}

function isClientStanza(el: Element): boolean {
  const ns = el.attrs.xmlns as string | undefined;
  return (ns === undefined || ns === NS_CLIENT) && (el.name === "message" || el.name === "presence" || el.name === "iq");
}

/**
 * A refused envelope: its work is not done (the caller still acknowledges its seq, so an honest
 * gateway does not resend it forever), it is counted and logged, and the gateway is told to close
 * the stream with <reset/> (RFC 6120 §4.9.3.16): the client connects and authenticates again, so
 * an honest gateway caught in a failover window recovers. A "closed" connection has no stream left.
 */
export function refuse(ctx: RouterContext, st: ConnState, reason: Refusal, envelope: string, claimed: string | undefined, closeStream = true): void {
  ctx.metrics.refused(reason);
  ctx.log.warn({ gateway: st.gw, conn: st.conn, claimed, identity: st.identity, envelope, reason }, "gateway envelope refused");
  if (closeStream) sendToGateway(ctx, st.gw, { t: "close", conn: st.conn, condition: "reset", text: "connection state not recognised; please reconnect" });
}
