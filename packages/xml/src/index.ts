// @xmppd/xml: the only importer of @xmpp/xml. Elements, builders, strict parsing and the
// c2s stream parser with RFC 6120 §11 restricted XML and size/depth limits.
export { Element, xml } from "@xmpp/xml";
export type { Node } from "@xmpp/xml";
export { XmlError, XmlStreamError, type XmlErrorCondition } from "./errors.ts";
export type { XmlLimits } from "./limits.ts";
export { parseElement } from "./parse-element.ts";
export { StreamParser, type StreamParserOptions } from "./stream-parser.ts";
export { streamOpen, STREAM_CLOSE } from "./stream-header.ts";
export { escapeAttr, escapeXml } from "./escape.ts";
