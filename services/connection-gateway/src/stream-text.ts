// Our stream header on a TCP or TLS stream (RFC 6120 §4.7); WebSocket framing has its own
// <open/> (ws-transport.ts).
import { randomBytes } from "node:crypto";
import { streamOpen } from "@xmppd/xml";
import { NS_CLIENT, NS_STREAM } from "@xmppd/stanza";

/** The response stream header, with a fresh, unpredictable stream id (RFC 6120 §4.7.3). */
export function streamHeader(domain: string, lang: string, to?: string): string {
  return streamOpen({
    from: domain,
    ...(to ? { to } : {}),
    id: randomBytes(16).toString("base64url"),
    version: "1.0",
    "xml:lang": lang,
    xmlns: NS_CLIENT,
    "xmlns:stream": NS_STREAM,
  });
}
