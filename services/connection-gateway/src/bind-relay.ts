// Resource binding (RFC 6120 §7) runs in the router, which owns the session registry: the
// gateway relays the bind iq and learns the full JID from the router's "bound" answer.
import { tryParseJid } from "@xmppd/jid";
import type { Element } from "@xmppd/xml";
import { NS_BIND } from "@xmppd/stanza";
import type { Connection } from "./connection.ts";
import { answerSession } from "./session-iq.ts";
import { isSessionIq, isSetIqWith } from "./stanza-kind.ts";

export function handleBindPhase(conn: Connection, el: Element): void {
  const user = conn.user!;
  if (isSetIqWith(el, "bind", NS_BIND)) {
    el.attrs.from = user; // invariant 3: even this iq speaks only as the authenticated account
    conn.relay({ t: "stanza", jid: user, xml: el.toString() });
    return;
  }
  if (isSessionIq(el)) return answerSession(conn, el);
  // RFC 6120 §7.1: no stanzas before a resource is bound; §4.9.3.17 not-authorized.
  conn.fail("not-authorized", "bind a resource first");
}

export interface BoundReply {
  jid: string;
  xml: string;
}

export function onBound(conn: Connection, reply: BoundReply): void {
  // A second answer (the bind iq replayed to a new router after failover) changes nothing.
  if (conn.jid !== null) return;
  const jid = tryParseJid(reply.jid);
  if (conn.user === null || !jid || jid.isBare() || jid.bareString() !== conn.user) {
    return conn.fail("internal-server-error", "bad bound JID from the router");
  }
  conn.jid = jid.toString();
  conn.timer.done();
  conn.write(reply.xml);
}
