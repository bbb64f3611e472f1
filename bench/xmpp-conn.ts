// A minimal plain-XMPP client for load generation: raw TCP, SASL PLAIN, resource binding. It
// speaks to any server (ours, ejabberd, Prosody) configured to allow PLAIN without TLS, and
// reads incoming messages with a cheap scan instead of a full XML parser so that the load
// generator costs less CPU than the server it measures.
import net from "node:net";

export interface ConnOptions {
  host: string;
  port: number;
  domain: string;
  username: string;
  password: string;
  resource: string;
  localAddress?: string;
}

export class BenchConn {
  readonly socket: net.Socket;
  jid = "";
  private buf = "";
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  onMessageBody: ((body: string) => void) | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.setNoDelay(true);
    socket.on("data", (d: string) => this.onData(d));
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("connection closed")));
  }

  static async open(o: ConnOptions): Promise<BenchConn> {
    const socket = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress });
    await new Promise<void>((res, rej) => socket.once("connect", res).once("error", rej));
    const c = new BenchConn(socket);
    await c.login(o);
    return c;
  }

  private header(domain: string): string {
    return `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
  }

  private async login(o: ConnOptions): Promise<void> {
    this.socket.write(this.header(o.domain));
    await this.expect(/<\/stream:features>/);
    const auth = Buffer.from(`\0${o.username}\0${o.password}`).toString("base64");
    this.socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`);
    const res = await this.expect(/<(success|failure)[\s>/]/);
    if (res[1] !== "success") throw new Error(`authentication failed for ${o.username}`);
    this.socket.write(this.header(o.domain));
    await this.expect(/<\/stream:features>/);
    this.socket.write(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${o.resource}</resource></bind></iq>`);
    const bound = await this.expect(/<jid>([^<]+)<\/jid>/);
    this.jid = bound[1]!;
    this.socket.write("<iq type='set' id='sess1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq><presence/>");
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

  close(): void {
    this.socket.end("</stream:stream>");
  }
}
