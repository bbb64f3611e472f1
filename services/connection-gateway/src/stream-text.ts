// Our side of the stream framing: the opening header (RFC 6120 §4.7) and a whole
// header + error + close for refusals that happen before any header was exchanged (§4.9.1.2).
import { randomBytes } from "node:crypto";
import { streamOpen, STREAM_CLOSE } from "@xmppd/xml";
import { NS_CLIENT, NS_STREAM, streamError, type StreamErrorCondition } from "@xmppd/stanza";

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

/** For a connection refused before it spoke: a header, the error, and the close. */
export function refusal(domain: string, condition: StreamErrorCondition, text?: string): string {
  return streamHeader(domain, "en") + streamError(condition, text).toString() + STREAM_CLOSE;
}
