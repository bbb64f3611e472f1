// Small predicates over top-level elements. Top-level elements come out of the parser with
// no parent, so an absent xmlns means the stream's default namespace, which the stream
// header check has fixed to jabber:client (RFC 6120 §4.8.2).
import type { Element } from "@xmppd/xml";
import { NS_CLIENT, NS_SESSION } from "@xmppd/stanza";

export function topLevelNs(el: Element): string {
  return el.attrs.xmlns ?? NS_CLIENT;
}

export function isTopLevel(el: Element, name: string, ns: string): boolean {
  return el.name === name && topLevelNs(el) === ns;
}

/** message, presence or iq in jabber:client (RFC 6120 §8). */
export function isClientStanza(el: Element): boolean {
  return topLevelNs(el) === NS_CLIENT && (el.name === "message" || el.name === "presence" || el.name === "iq");
}

/** An iq of type set whose payload is `<name xmlns=ns/>`. */
export function isSetIqWith(el: Element, name: string, ns: string): boolean {
  return isTopLevel(el, "iq", NS_CLIENT) && el.attrs.type === "set" && el.getChild(name, ns) !== undefined;
}

/** The legacy session iq (RFC 3921 §3), a no-op kept for old clients (RFC 6121 Appendix E). */
export function isSessionIq(el: Element): boolean {
  return isSetIqWith(el, "session", NS_SESSION);
}
