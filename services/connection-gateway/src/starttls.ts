// STARTTLS (RFC 6120 §5.4): <proceed/>, then TLS over the same socket, then a new stream.
import { xml } from "@xmppd/xml";
import { NS_TLS } from "@xmppd/stanza";
import type { Connection } from "./connection.ts";

export function handleStartTls(conn: Connection): void {
  // Offered only on a plain, unauthenticated stream (RFC 6120 §5.4.1); any other request is
  // answered like a failed negotiation: <failure/> and close (§5.4.2.2).
  if (!conn.transport.canStartTls || conn.user !== null) {
    conn.send(xml("failure", { xmlns: NS_TLS }));
    return conn.close("starttls not offered");
  }
  conn.upgradeTls(xml("proceed", { xmlns: NS_TLS }).toString(), conn.ctx.tls.forDomain(conn.domain));
}
