// The established stream (RFC 6120 §8): every stanza gets `from` stamped with the bound full
// JID (invariant 3) and is relayed to the router in order.
import { tryParseJid } from "@xmppd/jid";
import { errorReply } from "@xmppd/stanza";
import type { Element } from "@xmppd/xml";
import type { Connection } from "./connection.ts";
import { csiState } from "./csi.ts";
import { answerSession } from "./session-iq.ts";
import { isClientStanza, isSessionIq } from "./stanza-kind.ts";

export function handleEstablished(conn: Connection, el: Element): void {
  // XEP-0352 §3: client state is the gateway's business; it is not relayed.
  const state = csiState(el);
  if (state !== null) return conn.csi.setActive(state === "active");
  // RFC 6120 §4.9.3.24: only message, presence and iq are stanzas of jabber:client.
  if (!isClientStanza(el)) return conn.fail("unsupported-stanza-type", `<${el.name}/> is not a stanza`);
  const from = stampFrom(conn, el);
  if (from === "malformed") return refuseMalformedFrom(conn, el);
  if (from === "foreign") return conn.fail("invalid-from", "from is not your JID");
  throttle(conn);
  // XEP-0199 §4.2: the answer to our own ping stays here.
  if (conn.keepalive.isAnswer(el)) return void conn.sm?.countLocal();
  if (isSessionIq(el)) return (conn.sm?.countLocal(), answerSession(conn, el));
  conn.ctx.metrics.stanzasIn.inc({ kind: el.name });
  // XEP-0198: the stanza's count goes with it; the router stores it before acknowledging.
  const smh = conn.sm?.countRelayed();
  conn.relay({ t: "stanza", jid: conn.jid!, xml: el.toString(), ...(smh === undefined ? {} : { smh }) });
}

/**
 * RFC 6120 §8.1.2.1: the server stamps the full JID; a client `from` may only be its own full
 * or bare JID, anything else is <invalid-from/> (§4.9.3.10).
 */
function stampFrom(conn: Connection, el: Element): "stamped" | "malformed" | "foreign" {
  const claimed = el.attrs.from;
  if (claimed !== undefined) {
    const jid = tryParseJid(claimed)?.toString();
    if (jid === undefined) return "malformed";
    if (jid !== conn.jid && jid !== conn.user) return "foreign";
  }
  el.attrs.from = conn.jid!;
  return "stamped";
}

/**
 * RFC 6120 §8.3.3.8: a `from` that is no JID at all (RFC 7622: say a part over 1023 bytes) names
 * nobody else, so it is a stanza error, jid-malformed, answered here; the stream goes on.
 */
function refuseMalformedFrom(conn: Connection, el: Element): void {
  const reply = errorReply(el, "jid-malformed", { from: conn.domain });
  conn.sm?.countLocal();
  if (reply === null) return;
  reply.attrs.to = conn.jid!;
  if (conn.sm) conn.sm.local(reply.toString());
  else conn.send(reply);
}

/** Stanzas per second per session: pause reading, never drop (docs/architecture.md "Limits"). */
function throttle(conn: Connection): void {
  const wait = conn.stanzaBucket.take(1);
  if (wait > 0) conn.gate.hold("stanzas", wait);
}
