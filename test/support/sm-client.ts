// A raw XEP-0198 client for the end-to-end tests: real socket, SASL PLAIN, and full control of
// when it acknowledges, resumes or vanishes. It counts the stanzas it receives after <enabled/>
// or <resumed/> as XEP-0198 §4 says a client does.
import net from "node:net";
import { StreamParser, type Element } from "@xmppd/xml";

const NS_SM = "urn:xmpp:sm:3";
const header = (domain: string) =>
  `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
const isStanza = (el: Element) => el.name === "message" || el.name === "presence" || el.name === "iq";

export class SmClient {
  /** Every top-level element received, in order. */
  readonly received: Element[] = [];
  /** Stanzas received since stream management started (the client's h). */
  h = 0;
  closed = false;
  private counting = false;
  /** Acknowledge every stanza as it arrives, as a client reading at full speed would. */
  autoAck = false;
  private readonly waiters = new Set<() => void>();
  private parser: StreamParser;

  private constructor(private readonly socket: net.Socket, readonly domain: string) {
    this.parser = this.newParser();
    socket.on("data", (d) => this.parser.write(d));
    socket.on("close", () => ((this.closed = true), this.notify()));
    socket.on("error", () => undefined);
  }

  /** Connects and authenticates (PLAIN); the stream after SASL is open and its features read. */
  static async login(port: number, user: string, password: string, domain = "localhost"): Promise<SmClient> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((res, rej) => socket.once("connect", res).once("error", rej));
    const c = new SmClient(socket, domain);
    c.send(header(domain));
    await c.next((el) => el.name === "stream:features");
    c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${password}`).toString("base64")}</auth>`);
    await c.next((el) => el.name === "success");
    c.parser = c.newParser();
    c.send(header(domain));
    await c.next((el) => el.name === "stream:features" && el.getChild("bind") !== undefined);
    return c;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  async bind(resource: string): Promise<string> {
    this.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const reply = await this.next((el) => el.name === "iq" && el.attrs.id === "bind1");
    return reply.getChild("bind")!.getChildText("jid")!;
  }

  /** <enable resume='true'/>; resolves with <enabled/>. */
  async enable(): Promise<Element> {
    const before = this.received.length;
    this.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
    const el = await this.next((e, i) => i >= before && (e.name === "enabled" || e.name === "failed"));
    return el;
  }

  /** <resume/>; resolves with <resumed/> or <failed/>. */
  async resume(previd: string, h: number): Promise<Element> {
    const before = this.received.length;
    this.h = h;
    this.send(`<resume xmlns='${NS_SM}' previd='${previd}' h='${h}'/>`);
    return this.next((e, i) => i >= before && (e.name === "resumed" || e.name === "failed"));
  }

  ack(h = this.h): void {
    this.send(`<a xmlns='${NS_SM}' h='${h}'/>`);
  }

  /** Sends <r/> and resolves with the server's h. */
  async requestAck(): Promise<number> {
    const before = this.received.length;
    this.send(`<r xmlns='${NS_SM}'/>`);
    const a = await this.next((el, i) => i >= before && el.name === "a" && el.attrs.xmlns === NS_SM);
    return Number(a.attrs.h);
  }

  /** Message bodies received, in order. */
  bodies(): string[] {
    return this.received.filter((el) => el.name === "message" && el.getChildText("body") !== null).map((el) => el.getChildText("body")!);
  }

  /** The first element (already received or arriving) that matches. */
  next(match: (el: Element, index: number) => boolean, timeoutMs = 10_000): Promise<Element> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.received.findIndex(match);
        if (i < 0) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(this.received[i]!);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out; received:\n${this.received.map(String).join("\n")}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  async until(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`condition not met; received:\n${this.received.map(String).join("\n")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** A client that stops reading its socket (a slow consumer): the server's writes pile up. */
  stopReading(): void {
    this.socket.pause();
  }

  /** The connection vanishes without a close (a dead network). */
  drop(): void {
    this.socket.destroy();
  }

  async close(): Promise<void> {
    if (!this.closed) this.socket.end("</stream:stream>");
    await this.until(() => this.closed, 5000).catch(() => this.socket.destroy());
  }

  private newParser(): StreamParser {
    return new StreamParser({
      limits: { maxStanzaBytes: 1 << 20, maxDepth: 64 },
      onStreamStart: () => undefined,
      onStanza: (el) => {
        this.received.push(el);
        if (this.counting && isStanza(el)) {
          this.h += 1;
          if (this.autoAck) this.ack();
        }
        // Counting starts with the server's answer, whatever arrives in the same read (§4).
        if ((el.name === "enabled" || el.name === "resumed") && el.attrs.xmlns === NS_SM) this.counting = true;
        this.notify();
      },
      onStreamEnd: () => this.notify(),
      onError: () => this.notify(),
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
