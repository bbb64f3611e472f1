// XEP-0079 §4: reading <amp xmlns='http://jabber.org/protocol/amp'/> off a message. Parsing
// never fails: whatever is wrong with the rules is judged by validate.ts (DP-03).
import { NS_AMP } from "@xmppd/stanza";
import type { Element } from "@xmppd/xml";
import type { AmpRequest, RawRule } from "./types.ts";

/**
 * The AMP request carried by a message, or null when there is none. DP-17: <amp/> in an <iq/>
 * or <presence/> is not AMP. Only the first <amp/> counts; element children other than <rule/>
 * are ignored (DP-03).
 */
export function parseAmp(message: Element): AmpRequest | null {
  if (message.getName() !== "message") return null;
  const amp = message.getChild("amp", NS_AMP);
  if (!amp) return null;
  const rules = amp.getChildren("rule", NS_AMP).map((el, index) => rawRule(el, index));
  return { rules, perHop: attr(amp, "per-hop"), status: attr(amp, "status"), element: amp };
}

function rawRule(element: Element, index: number): RawRule {
  return {
    index,
    condition: attr(element, "condition"),
    action: attr(element, "action"),
    value: attr(element, "value"),
    element,
  };
}

function attr(el: Element, name: string): string | undefined {
  const v = el.attrs[name] as string | undefined;
  return typeof v === "string" ? v : undefined;
}
