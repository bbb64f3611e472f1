// Replies to stanzas: the stanza error reply (RFC 6120 §8.3) and the IQ result (§8.2.3).
import { type Element, xml } from "@xmppd/xml";
import { STANZA_ERROR_TYPES, type StanzaErrorCondition, type StanzaErrorType } from "./conditions.ts";
import { NS_XMPP_STANZAS } from "./namespaces.ts";

export interface ErrorReplyOptions {
  /** Overrides the RFC 6120 §8.3.3 default type for the condition. */
  type?: StanzaErrorType;
  /** Human-readable <text/> (RFC 6120 §8.3.2). */
  text?: string;
  /** The reply's from; by default the original stanza's to. */
  from?: string;
}

export function isError(el: Element): boolean {
  return el.attrs.type === "error";
}

/** to/from swapped, id kept, the content namespace kept when the stanza carries it. */
function replyAttrs(stanza: Element, type: string, from: string | undefined): Record<string, string | undefined> {
  const { xmlns, id } = stanza.attrs;
  return { xmlns, to: stanza.attrs.from, from, type, id };
}

/**
 * The error reply to a stanza, or null when the stanza must not be answered: an error
 * (RFC 6120 §8.3.1 rule 4: never reply to an error) or an IQ result (§8.2.3).
 */
export function errorReply(stanza: Element, condition: StanzaErrorCondition, opts: ErrorReplyOptions = {}): Element | null {
  const stanzaType = stanza.attrs.type;
  if (stanzaType === "error" || (stanza.getName() === "iq" && stanzaType === "result")) return null;
  const errorType = opts.type ?? STANZA_ERROR_TYPES[condition];
  return xml(
    stanza.name,
    replyAttrs(stanza, "error", opts.from ?? stanza.attrs.to),
    xml(
      "error",
      { type: errorType },
      xml(condition, { xmlns: NS_XMPP_STANZAS }),
      opts.text === undefined ? null : xml("text", { xmlns: NS_XMPP_STANZAS }, opts.text),
    ),
  );
}

/** The result for an IQ get or set (RFC 6120 §8.2.3), optionally with one payload child. */
export function iqResult(iq: Element, child?: Element): Element {
  const type = iq.attrs.type;
  if (iq.getName() !== "iq" || (type !== "get" && type !== "set")) {
    throw new TypeError(`iqResult needs an iq of type get or set, got <${iq.name} type='${String(type)}'>`);
  }
  return xml("iq", replyAttrs(iq, "result", iq.attrs.to), child ?? null);
}
