// A stanza as the router handles it: the gateway's bytes, plus the element parsed only when a
// path needs it (errors, IQs, presence). An ordinary message is forwarded as it came.
import { parseElement, type Element } from "@xmppd/xml";

export interface RoutedStanza {
  /** The serialized stanza, `from` stamped. */
  readonly xml: string;
  readonly type: string | undefined;
  /** The sender's full JID. */
  readonly from: string;
  element(): Element;
}

/** From the gateway's bytes; throws on parse only when element() is first called. */
export function fromBytes(xml: string, type: string | undefined, from: string): RoutedStanza {
  let el: Element | undefined;
  return { xml, type, from, element: () => (el ??= parseElement(xml)) };
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
