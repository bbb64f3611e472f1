// A minimal plain-XMPP client for load generation: raw TCP, SASL PLAIN or SCRAM-SHA-1/-256 (no
// -PLUS: there is no TLS), resource binding. It speaks to any server (ours, ejabberd, Prosody)
// configured to allow these without TLS, and
// reads incoming messages with a cheap scan instead of a full XML parser so that the load
// generator costs less CPU than the server it measures.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import net from "node:net";

export type BenchMechanism = "PLAIN" | "SCRAM-SHA-1" | "SCRAM-SHA-256";

export interface ConnOptions {
  host: string;
  port: number;
  domain: string;
  username: string;
  password: string;
  resource: string;
  localAddress?: string;
  /** SASL mechanism; PLAIN by default. */
  mechanism?: BenchMechanism;
}

// SaltedPassword = Hi(password, salt, i) depends on nothing else, so the client keeps it, as real
// clients do (Conversations stores it per account): the load generator's own PBKDF2 then runs
// once per distinct (password, salt, iterations), not once per login. A server that answers a
// login with a new salt or count still costs the client one derivation, as it would cost a real one.
const saltedCache = new Map<string, Buffer>();

function saltedPassword(algorithm: "sha1" | "sha256", password: string, salt: string, iterations: number): Buffer {
  const key = `${algorithm}\0${salt}\0${iterations}\0${password}`;
  let salted = saltedCache.get(key);
  if (!salted) {
    salted = pbkdf2Sync(password, Buffer.from(salt, "base64"), iterations, algorithm === "sha1" ? 20 : 32, algorithm);
    saltedCache.set(key, salted);
  }
  return salted;
}

const hmac = (algorithm: string, key: Buffer, data: string | Buffer) => createHmac(algorithm, key).update(data).digest();

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
    await (o.mechanism && o.mechanism !== "PLAIN" ? this.scram(o, o.mechanism) : this.plain(o));
    this.socket.write(this.header(o.domain));
    await this.expect(/<\/stream:features>/);
    this.socket.write(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${o.resource}</resource></bind></iq>`);
    const bound = await this.expect(/<jid>([^<]+)<\/jid>/);
    this.jid = bound[1]!;
    this.socket.write("<iq type='set' id='sess1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq><presence/>");
  }

  private async plain(o: ConnOptions): Promise<void> {
    const auth = Buffer.from(`\0${o.username}\0${o.password}`).toString("base64");
    this.socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`);
    const res = await this.expect(/<(success|failure)[\s>/]/);
    if (res[1] !== "success") throw new Error(`authentication failed for ${o.username}`);
  }

  /** RFC 5802 §5 without channel binding (gs2 header "n,,"); the bench names need no escaping. */
  private async scram(o: ConnOptions, mechanism: "SCRAM-SHA-1" | "SCRAM-SHA-256"): Promise<void> {
    const algorithm = mechanism === "SCRAM-SHA-1" ? "sha1" : "sha256";
    const bare = `n=${o.username},r=${randomBytes(18).toString("base64")}`;
    this.socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='${mechanism}'>${Buffer.from(`n,,${bare}`).toString("base64")}</auth>`);
    const challenge = await this.expect(/<(challenge|failure)[\s>/][^>]*>([^<]*)/);
    if (challenge[1] !== "challenge") throw new Error(`authentication failed for ${o.username}`);
    const serverFirst = Buffer.from(challenge[2]!, "base64").toString();
    const attrs = new Map(serverFirst.split(",").map((a) => [a[0], a.slice(2)]));
    const salted = saltedPassword(algorithm, o.password, attrs.get("s")!, Number(attrs.get("i")));
    const withoutProof = `c=biws,r=${attrs.get("r")}`;
    const authMessage = `${bare},${serverFirst},${withoutProof}`;
    const clientKey = hmac(algorithm, salted, "Client Key");
    const signature = hmac(algorithm, createHash(algorithm).update(clientKey).digest(), authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    this.socket.write(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(`${withoutProof},p=${proof.toString("base64")}`).toString("base64")}</response>`);
    const res = await this.expect(/<(success|failure)[\s>/][^>]*?(?:\/>|>([^<]*))/);
    if (res[1] !== "success") throw new Error(`authentication failed for ${o.username}`);
    // The server proves it knows the key too (v=ServerSignature).
    const expected = hmac(algorithm, hmac(algorithm, salted, "Server Key"), authMessage);
    const v = Buffer.from(Buffer.from(res[2] ?? "", "base64").toString().replace(/^v=/, ""), "base64");
    if (v.length !== expected.length || !timingSafeEqual(v, expected)) throw new Error(`bad server signature for ${o.username}`);
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
