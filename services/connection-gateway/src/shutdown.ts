// How a draining gateway ends a stream (SIGTERM): a TCP or direct TLS client is sent elsewhere
// with <see-other-host/> (RFC 6120 §4.9.3.19) when the configuration names another host,
// otherwise everyone gets <system-shutdown/>. Either way a stream with a resumable XEP-0198
// session leaves it waiting, so the client resumes on another gateway.
import { NS_STREAM, NS_XMPP_STREAMS } from "@xmppd/stanza";
import { xml } from "@xmppd/xml";
import type { Connection } from "./connection.ts";

export function shutdownStream(conn: Connection, otherHost: string | undefined): void {
  const kind = conn.transport.kind;
  if (otherHost === undefined || !conn.headerSent || conn.isClosing() || (kind !== "tcp" && kind !== "tls")) return conn.fail("system-shutdown");
  conn.ctx.metrics.streamErrors.inc({ condition: "see-other-host" });
  conn.write(xml("stream:error", { "xmlns:stream": NS_STREAM }, xml("see-other-host", { xmlns: NS_XMPP_STREAMS }, otherHost)).toString());
  conn.close("see-other-host");
}
