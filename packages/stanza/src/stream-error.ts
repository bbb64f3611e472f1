// <stream:error/> (RFC 6120 §4.9).
import { type Element, xml } from "@xmppd/xml";
import type { StreamErrorCondition } from "./conditions.ts";
import { NS_STREAM, NS_XMPP_STREAMS } from "./namespaces.ts";

/**
 * The stream error element. It declares the stream prefix itself, so it is a complete document
 * on its own (as RFC 7395 WebSocket framing needs) and still valid inside a TCP stream.
 */
export function streamError(condition: StreamErrorCondition, text?: string): Element {
  return xml(
    "stream:error",
    { "xmlns:stream": NS_STREAM },
    xml(condition, { xmlns: NS_XMPP_STREAMS }),
    text === undefined ? null : xml("text", { xmlns: NS_XMPP_STREAMS }, text),
  );
}
