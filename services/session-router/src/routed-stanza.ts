// A stanza as the router handles it: the gateway's bytes beside their parsed element, or an element
// the router holds. An ordinary message is forwarded as it came.
import type { Element } from "@xmppd/xml";

export interface RoutedStanza {
  /** The serialized stanza, `from` stamped. */
  readonly xml: string;
  readonly type: string | undefined;
  /** The sender's full JID. */
  readonly from: string;
  element(): Element;
}

/**
 * The gateway's bytes, checked to be exactly this one element (identity.ts checkStanza), and
 * forwarded as they came: no serialisation. `type` and `from` are the element's, not hints.
 */
export function fromParsed(xml: string, el: Element): RoutedStanza {
  return { xml, type: el.attrs.type as string | undefined, from: el.attrs.from as string, element: () => el };
}

/** From an element the router holds (and may have changed): serialized on demand. */
export function fromElement(el: Element): RoutedStanza {
  let xml: string | undefined;
  return {
    get xml() {
      return (xml ??= el.toString());
    },
    type: el.attrs.type as string | undefined,
    from: el.attrs.from as string,
    element: () => el,
  };
}
