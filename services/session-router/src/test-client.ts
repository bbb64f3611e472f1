// Test harness clients: a bound (and optionally available) resource behind the fake gateway,
// with its own inbox of delivered stanzas. Used by the router tests only.
import { parseElement, type Element } from "@xmppd/xml";
import type { Harness } from "./test-gateway.ts";

export interface HarnessClient {
  jid: string;
  conn: string;
  gw: string;
  inbox(): Element[];
  /** Sends a stanza and waits until the router acknowledged (finished) it. */
  send(xml: string): Promise<void>;
  next(pred: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
}

export async function harnessClient(h: Harness, user: string, resource: string, gw = "gw1", presence: string | null = "<presence/>"): Promise<HarnessClient> {
  const conn = `c-${user}-${resource}`;
  const jid = `${user}@example.com/${resource}`;
  const start = h.received.length;
  await h.login(gw, conn, user);
  h.send(gw, { t: "stanza", conn, jid: `${user}@example.com`, xml: `<iq type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>${resource}</resource></bind></iq>` });
  await h.next((e) => e.t === "bound" && e.conn === conn, start);
  const mine = () => h.received.slice(start).filter((e) => e.t === "deliver" && e.conn === conn && e.gw === gw).map((e) => parseElement((e as { xml: string }).xml));
  const client: HarnessClient = {
    jid, conn, gw,
    inbox: mine,
    async send(xml) {
      const seq = h.send(gw, { t: "stanza", conn, jid, xml });
      await h.next((e) => e.t === "ack" && e.conn === conn && e.seq >= seq);
    },
    async next(pred, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mine().find(pred);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`${jid}: no matching stanza; got\n${mine().map(String).join("\n")}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
  if (presence !== null) await client.send(presence);
  return client;
}

/** Canonical XML: attributes sorted, so assertions compare whole stanzas exactly. */
export function canon(el: Element | string): string {
  const e = typeof el === "string" ? parseElement(el) : el;
  const attrs = Object.entries(e.attrs).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => ` ${k}="${String(v)}"`).join("");
  const kids = (e.children as (Element | string)[]).map((c) => (typeof c === "string" ? c : canon(c))).join("");
  return `<${e.name}${attrs}>${kids}</${e.name}>`;
}
