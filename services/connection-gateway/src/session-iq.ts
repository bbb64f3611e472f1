// The legacy session iq is answered here: it is a no-op (RFC 6121 Appendix E) and costs a bus
// round trip otherwise.
import type { Element } from "@xmppd/xml";
import { iqResult } from "@xmppd/stanza";
import type { Connection } from "./connection.ts";

export function answerSession(conn: Connection, iq: Element): void {
  const result = iqResult(iq);
  result.attrs.from = conn.domain;
  delete result.attrs.to;
  if (conn.jid !== null) result.attrs.to = conn.jid;
  // With stream management the client counts this result like any stanza.
  if (conn.sm) conn.sm.local(result.toString());
  else conn.send(result);
}
