// A minimal plain-XMPP client for load generation: raw TCP, SASL PLAIN or SCRAM, resource
// binding, and the few extras the comparison needs (in-band registration, XEP-0198 acks, XEP-0199
// pings). It speaks to any server (ours, ejabberd, Prosody) configured to allow plain TCP, and
// reads incoming messages with a cheap scan instead of a full XML parser so that the load
// generator costs less CPU than the server it measures.
import net from "node:net";
import { once } from "node:events";
import { ScramClient } from "./scram-client.ts";

export type Mechanism = "PLAIN" | "SCRAM-SHA-1" | "SCRAM-SHA-256";

export interface ConnOptions {
  host: string;
  port: number;
  domain: string;
  username: string;
  password: string;
  resource: string;
  localAddress?: string;
  /** SASL mechanism; PLAIN by default. */
  mechanism?: Mechanism;
}

const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString();

export class BenchConn {
  readonly socket: net.Socket;
  jid = "";
  /** SASL mechanisms the server offered on this (plain TCP) stream. */
  mechanisms: string[] = [];
  /** Whether the server offered XEP-0198 after authentication. */
  smOffered = false;
  private buf = "";
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  private seq = 0;
  onMessageBody: ((body: string) => void) | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.setNoDelay(true);
    socket.on("data", (d: string) => this.onData(d));
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("connection closed")));
  }

  private static async connect(o: Pick<ConnOptions, "host" | "port" | "localAddress">): Promise<BenchConn> {
    const socket = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress });
    await new Promise<void>((res, rej) => socket.once("connect", res).once("error", rej));
    return new BenchConn(socket);
  }

  /**
   * Connects and logs in. Set `onMessageBody` right after the await: messages sent after the
   * initial presence arrive in later socket reads (macrotasks), not before the caller resumes.
   */
  static async open(o: ConnOptions): Promise<BenchConn> {
    const c = await BenchConn.connect(o);
    try {
      await c.login(o);
    } catch (err) {
      c.socket.destroy();
      throw err;
    }
    return c;
  }

  /** XEP-0077 in-band registration of `username`; an existing account (conflict) counts as done. */
  static async register(o: Omit<ConnOptions, "resource" | "mechanism">): Promise<void> {
    const c = await BenchConn.connect(o);
    try {
      c.socket.write(c.header(o.domain));
      await c.expect(/<\/stream:features>/);
      c.socket.write(`<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>${o.username}</username><password>${o.password}</password></query></iq>`);
      const res = await c.expect(/<iq[^>]*type=['"](result|error)['"][^>]*>(?:[\s\S]*?<\/iq>)?/);
      if (res[1] === "error" && !res[0].includes("conflict")) throw new Error(`registration of ${o.username} failed: ${res[0]}`);
    } finally {
      c.close();
    }
  }

  private header(domain: string): string {
    return `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
  }

  private async login(o: ConnOptions): Promise<void> {
    this.socket.write(this.header(o.domain));
    const features = await this.expect(/<stream:features[\s\S]*?<\/stream:features>/);
    this.mechanisms = [...features[0].matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1]!);
    const mechanism = o.mechanism ?? "PLAIN";
    if (mechanism === "PLAIN") {
      this.socket.write(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${b64(`\0${o.username}\0${o.password}`)}</auth>`);
      await this.saslOutcome(o.username);
    } else {
      const scram = new ScramClient(mechanism, o.username, o.password);
      this.socket.write(`<auth xmlns='${NS_SASL}' mechanism='${mechanism}'>${b64(scram.first())}</auth>`);
      const challenge = await this.expect(/<challenge[^>]*>([^<]*)<\/challenge>|<failure[\s\S]*?<\/failure>|<failure[^>]*\/>/);
      if (challenge[1] === undefined) throw new Error(`${mechanism} refused for ${o.username}: ${challenge[0]}`);
      this.socket.write(`<response xmlns='${NS_SASL}'>${b64(scram.final(unb64(challenge[1])))}</response>`);
      const serverFinal = await this.saslOutcome(o.username);
      if (!scram.verify(serverFinal)) throw new Error(`${mechanism}: the server's signature did not verify for ${o.username}`);
    }
    this.socket.write(this.header(o.domain));
    const after = await this.expect(/<stream:features[\s\S]*?<\/stream:features>/);
    this.smOffered = after[0].includes("urn:xmpp:sm:3");
    this.socket.write(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${o.resource}</resource></bind></iq>`);
    const bound = await this.expect(/<jid>([^<]+)<\/jid>/);
    this.jid = bound[1]!;
    this.socket.write("<iq type='set' id='sess1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq><presence/>");
  }

  /** Waits for <success/> (returning its decoded additional data) or throws on <failure/>. */
  private async saslOutcome(username: string): Promise<string> {
    const res = await this.expect(/<success[^>]*\/>|<success[^>]*>([^<]*)<\/success>|<failure[\s\S]*?<\/failure>|<failure[^>]*\/>/);
    if (!res[0].startsWith("<success")) throw new Error(`authentication failed for ${username}: ${res[0]}`);
    return unb64(res[1] ?? "");
  }

  /** XEP-0198: enables stream management (no resumption); false if the server refused. */
  async enableSm(): Promise<boolean> {
    this.socket.write("<enable xmlns='urn:xmpp:sm:3'/>");
    const res = await this.expect(/<(enabled|failed)[\s>/]/);
    return res[1] === "enabled";
  }

  /** XEP-0198: requests an ack and resolves with the server's count of handled stanzas. */
  async ackCount(): Promise<number> {
    this.socket.write("<r xmlns='urn:xmpp:sm:3'/>");
    const res = await this.expect(/<a\s[^>]*h=['"](\d+)['"][^>]*\/>/);
    return Number(res[1]);
  }

  /** XEP-0199 ping to the server; resolves when it answers. */
  async ping(domain: string): Promise<void> {
    const id = `ping${this.seq++}`;
    this.socket.write(`<iq type='get' id='${id}' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await this.expect(new RegExp(`<iq[^>]*id=['"]${id}['"][^>]*>`));
  }

  private expect(re: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ re, resolve, reject });
      this.drainWaiters();
    });
  }

  private drainWaiters(): void {
    while (this.waiters.length) {
      const w = this.waiters[0]!;
      const m = this.buf.match(w.re);
      if (!m) return;
      this.buf = this.buf.slice(m.index! + m[0].length);
      this.waiters.shift();
      w.resolve(m);
    }
  }

  private onData(d: string): void {
    this.buf += d;
    if (this.waiters.length) return this.drainWaiters();
    if (!this.onMessageBody) {
      this.buf = "";
      return;
    }
    // Established: pull out every complete <body>…</body>; keep the unfinished tail.
    let from = 0;
    for (;;) {
      const start = this.buf.indexOf("<body>", from);
      if (start < 0) break;
      const end = this.buf.indexOf("</body>", start);
      if (end < 0) {
        from = start;
        break;
      }
      this.onMessageBody(this.buf.slice(start + 6, end));
      from = end + 7;
    }
    this.buf = from > 0 ? this.buf.slice(from) : this.buf.length > 65536 ? "" : this.buf;
  }

  private fail(e: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  send(text: string): boolean {
    return this.socket.write(text);
  }

  /** Writes and, when the socket's buffer is full, waits until the server has taken it. */
  async sendPaced(text: string): Promise<void> {
    if (!this.socket.write(text)) await once(this.socket, "drain");
  }

  close(): void {
    this.socket.end("</stream:stream>");
  }
}
