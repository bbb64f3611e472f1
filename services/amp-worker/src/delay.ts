// XEP-0203 Delayed Delivery: mark a stored stanza with when and by whom it was held.
import { NS_DELAY } from "@xmppd/stanza";
import { parseElement, xml } from "@xmppd/xml";
import type { Element } from "@xmppd/xml";

/** XEP-0082 DateTime in UTC with a `Z` suffix (toISOString is already that profile). */
export function xep82Stamp(at: Date): string {
  return at.toISOString();
}

export function withDelay(stanzaXml: string, from: string, storedAt: Date): Element {
  const stanza = parseElement(stanzaXml);
  stanza.append(xml("delay", { xmlns: NS_DELAY, from, stamp: xep82Stamp(storedAt) }));
  return stanza;
}
