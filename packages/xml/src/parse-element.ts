// parseElement: one complete element from a string (stanzas received over the bus), with the
// same strictness as the stream parser.
import type { Element } from "@xmpp/xml";
import { parseOne } from "./element-parser.ts";
import { policy } from "./errors.ts";
import type { XmlLimits } from "./limits.ts";

const NO_BINDINGS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Parses `text` (one element, optionally surrounded by whitespace). Throws XmlError with the
 * RFC 6120 condition. Limits are optional: bus traffic was already limited at the gateway.
 */
export function parseElement(text: string, limits?: Partial<XmlLimits>): Element {
  const maxBytes = limits?.maxStanzaBytes;
  // A UTF-8 byte takes at most one UTF-16 unit, so the exact count is needed only near the limit.
  if (maxBytes !== undefined && text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
    throw policy(`stanza larger than ${maxBytes} bytes`);
  }
  return parseOne(text, {
    inherited: NO_BINDINGS,
    maxDepth: limits?.maxDepth ?? Number.POSITIVE_INFINITY,
    maxElements: limits?.maxElements ?? Number.POSITIVE_INFINITY,
  });
}
