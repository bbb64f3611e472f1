// A raw BOSH client for tests (XEP-0124, XEP-0206), doing what Strophe and Converse do on the
// wire: a session request, then bodies with consecutive rids and the sid, each POSTed as
// text/xml. Every request and its response are plain text, so tests can assert exact bodies.

export const NS_HTTPBIND = "http://jabber.org/protocol/httpbind";
export const NS_XBOSH = "urn:xmpp:xbosh";

export class BoshClient {
  sid = "";
  rid: number;

  constructor(
    readonly url: string,
    firstRid = 1_000_000 + Math.floor(Math.random() * 1_000_000),
  ) {
    this.rid = firstRid;
  }

  /** XEP-0124 §7.1 + XEP-0206 §4: the session request; remembers the sid of the answer. */
  async create(attrs: Record<string, string> = {}): Promise<string> {
    const all = { to: "localhost", wait: "60", hold: "1", ver: "1.6", "xml:lang": "en", "xmpp:version": "1.0", "xmlns:xmpp": NS_XBOSH, ...attrs };
    const text = await this.post(this.body(all, "", false));
    this.sid = /\ssid='([^']+)'/.exec(text)?.[1] ?? "";
    return text;
  }

  /** A body with the next rid and the sid around `payload`. */
  next(payload = "", attrs: Record<string, string> = {}): { rid: number; text: string } {
    return { rid: this.rid, text: this.body(attrs, payload, true) };
  }

  /** Sends the next body and returns the response text. */
  send(payload = "", attrs: Record<string, string> = {}): Promise<string> {
    return this.post(this.next(payload, attrs).text);
  }

  /** XEP-0206 §5: the restart request after SASL success. */
  restart(): Promise<string> {
    return this.send("", { to: "localhost", "xml:lang": "en", "xmpp:restart": "true", "xmlns:xmpp": NS_XBOSH });
  }

  /** POSTs raw text to the endpoint. */
  async post(text: string): Promise<string> {
    const res = await fetch(this.url, { method: "POST", headers: { "content-type": "text/xml; charset=utf-8" }, body: text });
    return res.text();
  }

  private body(attrs: Record<string, string>, payload: string, withSid: boolean): string {
    const all: Record<string, string> = { rid: String(this.rid++), ...(withSid ? { sid: this.sid } : {}), xmlns: NS_HTTPBIND, ...attrs };
    const open = `<body${Object.entries(all).map(([k, v]) => ` ${k}='${v}'`).join("")}`;
    return payload === "" ? `${open}/>` : `${open}>${payload}</body>`;
  }
}
