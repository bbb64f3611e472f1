// Client State Indication (XEP-0352): while the client says it is <inactive/>, deliveries that
// can wait are held back: availability presence (only the latest per sender full JID) and
// messages that carry nothing but a chat state (XEP-0085 §5.5: no body). Anything else (a
// message with a body, an iq, a subscription request, an error) flushes what was held, in the
// original order, and goes out right after it; so does <active/>. The buffer is bounded (by
// half the outbound limits, connection.ts): when it is full it is flushed, never dropped.
import { parseElement, type Element } from "@xmppd/xml";

export const NS_CSI = "urn:xmpp:csi:0";
const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";

export interface CsiLimits {
  maxStanzas: number;
  maxBytes: number;
}

/** <active/> or <inactive/> from the client (XEP-0352 §3); null for anything else. */
export function csiState(el: Element): "active" | "inactive" | null {
  if (el.attrs.xmlns !== NS_CSI || el.children.length > 0) return null;
  return el.name === "active" || el.name === "inactive" ? el.name : null;
}

/** How a delivery is treated while inactive: held under a key (presence) or not, or urgent. */
export function classify(stanza: string): { hold: true; key: string | null } | { hold: false } {
  if (!stanza.startsWith("<presence") && !stanza.startsWith("<message")) return { hold: false };
  let el: Element;
  try {
    el = parseElement(stanza);
  } catch {
    return { hold: false }; // not ours to judge: deliver it as it is
  }
  const type = el.attrs.type;
  if (el.name === "presence") {
    // Availability only: subscription requests and errors need the user's attention.
    return type === undefined || type === "unavailable" ? { hold: true, key: el.attrs.from ?? "" } : { hold: false };
  }
  const children = el.children.filter((c): c is Element => typeof c !== "string");
  const onlyChatState = children.length > 0 && children.every((c) => (c.attrs.xmlns ?? "") === NS_CHATSTATES);
  return type !== "error" && onlyChatState ? { hold: true, key: null } : { hold: false };
}

export class CsiBuffer {
  private active = true;
  /** Hold but never drop (XEP-0198 counts every stanza written, sm.ts). */
  keepEvery = false;
  private held: { key: string | null; xml: string }[] = [];
  private bytes = 0;

  constructor(
    private readonly limits: CsiLimits,
    private readonly write: (xml: string) => void,
  ) {}

  isActive(): boolean {
    return this.active;
  }

  setActive(active: boolean): void {
    this.active = active;
    if (active) this.flush();
  }

  /** A delivery for the client: written now, or held while inactive. */
  deliver(xml: string): void {
    if (this.active) return this.write(xml);
    const verdict = classify(xml);
    if (!verdict.hold) {
      this.flush();
      return this.write(xml);
    }
    if (verdict.key !== null && !this.keepEvery) this.dropPresenceOf(verdict.key);
    this.held.push({ key: verdict.key, xml });
    this.bytes += Buffer.byteLength(xml);
    if (this.held.length >= this.limits.maxStanzas || this.bytes >= this.limits.maxBytes) this.flush();
  }

  /** Writes everything held, oldest first. */
  flush(): void {
    const held = this.held;
    this.held = [];
    this.bytes = 0;
    for (const item of held) this.write(item.xml);
  }

  size(): number {
    return this.held.length;
  }

  /** The latest presence of a sender replaces the one held before it (it moves to the end). */
  private dropPresenceOf(key: string): void {
    const at = this.held.findIndex((item) => item.key === key);
    if (at < 0) return;
    this.bytes -= Buffer.byteLength(this.held[at]!.xml);
    this.held.splice(at, 1);
  }
}
