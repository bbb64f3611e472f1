// How a draining gateway ends a stream (SIGTERM): a client is sent elsewhere when the
// configuration names another place, a TCP or direct TLS client with <see-other-host/>
// (RFC 6120 §4.9.3.19), a WebSocket client with <close see-other-uri/> (RFC 7395 §3.6.1);
// otherwise everyone gets <system-shutdown/>. Either way a stream with a resumable XEP-0198
// session leaves it waiting, so the client resumes on another gateway.
import { NS_STREAM, NS_XMPP_STREAMS } from "@xmppd/stanza";
import { xml } from "@xmppd/xml";
import type { Connection } from "./connection.ts";
import { NS_FRAMING } from "./ws-framing.ts";

export interface Elsewhere {
  /** host[:port] for TCP and direct TLS clients (gateway.seeOtherHost). */
  host?: string;
  /** ws:// or wss:// URL for WebSocket clients (gateway.websocket.seeOtherUri). */
  uri?: string;
}

export function shutdownStream(conn: Connection, elsewhere: Elsewhere): void {
  const kind = conn.transport.kind;
  if (!conn.headerSent || conn.isClosing()) return conn.fail("system-shutdown");
  if (elsewhere.host !== undefined && (kind === "tcp" || kind === "tls")) {
    conn.ctx.metrics.streamErrors.inc({ condition: "see-other-host" });
    conn.write(xml("stream:error", { "xmlns:stream": NS_STREAM }, xml("see-other-host", { xmlns: NS_XMPP_STREAMS }, elsewhere.host)).toString());
    return conn.close("see-other-host");
  }
  if (elsewhere.uri !== undefined && kind === "websocket") {
    return conn.close("see-other-uri", xml("close", { xmlns: NS_FRAMING, "see-other-uri": elsewhere.uri }).toString());
  }
  conn.fail("system-shutdown");
}
