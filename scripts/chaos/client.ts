// One chaos client: a raw-socket XEP-0198 client that behaves like a real one. It keeps every
// stanza it wrote until the server's <a h/> covers it, resumes a dropped stream and sends again
// what was not covered, and when resumption fails it binds a new session, sends presence (which
// makes the server flush offline messages) and sends the uncovered stanzas again. Lean on
// purpose: 200 of them share one process with the harness.
import net from "node:net";
import { StreamParser, type Element } from "@xmppd/xml";

const NS_SM = "urn:xmpp:sm:3";
const STEP_MS = 10_000;
const header = (domain: string) =>
  `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
const isStanza = (el: Element) => el.name === "message" || el.name === "presence" || el.name === "iq";

export interface Outgoing {
  text: string;
  /** A message of the ledger; undefined for presence and other bookkeeping stanzas. */
  id?: string;
  /** Written on an earlier session that the server did not resume: the server may have it already. */
  resent?: boolean;
  written?: boolean;
}

export interface ClientHooks {
  /** A message stanza arrived (deliveries, bounces, AMP events). */
  message(client: ChaosClient, el: Element): void;
  /** The server's <a h/> covers this message: it took responsibility for it. */
  accepted(client: ChaosClient, id: string): void;
  /** A message written on a session that was not resumed is written again on a new one. */
  resent(client: ChaosClient, id: string): void;
  /** The stream ended without us asking: stream error, reset, or a socket gone. */
  dropped(client: ChaosClient, why: string): void;
}

export interface ClientOptions {
  user: string;
  password: string;
  domain: string;
  /** The c2s ports of the gateways alive now; a reconnect picks one. */
  ports: () => number[];
  localAddress?: string;
  hooks: ClientHooks;
}

type State = "offline" | "connecting" | "online" | "stopped";

export class ChaosClient {
  readonly jid: string;
  state: State = "offline";
  smId: string | undefined;
  /** Stanzas received since <enabled/> or <resumed/> (our h). */
  h = 0;
  /** Stanzas of this SM session the server's h covers. */
  private acked = 0;
  /** Written or waiting to be written, not yet covered by the server's h, in order. */
  private outbox: Outgoing[] = [];
  private socket: net.Socket | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private reading = true;
  /** Bumped by stop(): a reconnect loop of an earlier life sees it and ends. */
  private gen = 0;
  private streamError: string | undefined;
  readonly stats = { resumes: 0, resumeFailures: 0, newSessions: 0, drops: 0 };

  constructor(private readonly o: ClientOptions) {
    this.jid = `${o.user}@${o.domain}`;
  }

  get unacked(): number {
    return this.outbox.length;
  }

  /** Connects (resuming when it can) and retries until online or stopped. */
  async connect(): Promise<void> {
    const gen = this.gen;
    for (let attempt = 0; this.gen === gen && this.state !== "stopped"; attempt++) {
      try {
        await this.session();
        return;
      } catch (err) {
        if (this.gen !== gen) return;
        this.teardown();
        this.state = "offline";
        // Backoff with jitter, like real clients, so reconnects after a fault do not stampede.
        await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random()));
        void err;
      }
    }
  }

  send(item: Outgoing): void {
    this.outbox.push(item);
    if (this.state === "online") this.write([item]);
  }

  /** Writes many stanzas in one socket write (the burst fault). */
  sendMany(items: Outgoing[]): void {
    this.outbox.push(...items);
    if (this.state === "online") this.write(items);
  }

  /** Stops reading the socket (a slow consumer): TCP backpressure reaches the gateway. */
  pauseReading(): void {
    this.reading = false;
    this.socket?.pause();
  }

  resumeReading(): void {
    this.reading = true;
    this.socket?.resume();
  }

  /**
   * Ends the stream cleanly and logs in afresh, as a user restarting a client does: the server
   * ends the old session (what it still held goes offline) and the new session's presence
   * fetches the stored messages.
   */
  async cycle(): Promise<void> {
    await this.stop();
    this.smId = undefined;
    this.state = "offline";
    await this.connect();
  }

  /** Ends the stream cleanly: the server ends the session (what it held goes offline). */
  async stop(): Promise<void> {
    this.state = "stopped";
    this.gen++;
    const s = this.socket;
    if (!s || s.destroyed) return;
    // A real client acknowledges what it has before closing (XEP-0198 §4), so the server does
    // not treat those stanzas as undelivered and send them again on the next session.
    s.end(`${this.smId !== undefined ? `<a xmlns='${NS_SM}' h='${this.h}'/>` : ""}</stream:stream>`);
    await Promise.race([new Promise((r) => s.once("close", r)), sleep(3000)]);
    s.destroy();
  }

  private async session(): Promise<void> {
    this.state = "connecting";
    this.streamError = undefined;
    const ports = this.o.ports();
    if (ports.length === 0) throw new Error("no gateway alive");
    const port = ports[Math.floor(Math.random() * ports.length)]!;
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: this.o.localAddress });
    this.socket = socket;
    const received: Element[] = [];
    let waiter: (() => void) | undefined;
    let parser = this.parser(socket, received, () => waiter?.());
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => parser.write(d));
    socket.on("error", () => undefined);
    socket.on("close", () => this.onClose(socket));
    await new Promise<void>((res, rej) => socket.once("connect", res).once("error", rej));
    const next = (match: (el: Element) => boolean) =>
      new Promise<Element>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("step timed out")), STEP_MS);
        const check = () => {
          if (socket.destroyed) return (clearTimeout(timer), reject(new Error("socket closed")));
          const i = received.findIndex(match);
          if (i < 0) return;
          const el = received.splice(0, i + 1)[i]!;
          clearTimeout(timer);
          waiter = undefined;
          resolve(el);
        };
        waiter = check;
        check();
      });

    socket.write(header(this.o.domain));
    await next((el) => el.name === "stream:features");
    socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${this.o.user}\0${this.o.password}`).toString("base64")}</auth>`);
    const auth = await next((el) => el.name === "success" || el.name === "failure");
    if (auth.name !== "success") throw new Error(`authentication failed for ${this.o.user}`);
    parser = this.parser(socket, received, () => waiter?.());
    socket.write(header(this.o.domain));
    await next((el) => el.name === "stream:features");

    if (this.smId !== undefined) {
      socket.write(`<resume xmlns='${NS_SM}' previd='${this.smId}' h='${this.h}'/>`);
      const answer = await next((el) => (el.name === "resumed" || el.name === "failed") && el.attrs.xmlns === NS_SM);
      if (answer.name === "resumed") {
        this.stats.resumes++;
        this.takeAck(Number(answer.attrs.h));
        this.online(socket, received);
        // XEP-0198 §5: what the server's h does not cover is sent again, in order.
        this.write(this.outbox);
        return;
      }
      this.stats.resumeFailures++;
      this.smId = undefined;
    }

    socket.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>chaos</resource></bind></iq>`);
    const bound = await next((el) => el.name === "iq" && el.attrs.id === "bind");
    if (bound.attrs.type !== "result") throw new Error(`bind failed for ${this.o.user}`);
    socket.write(`<enable xmlns='${NS_SM}' resume='true'/>`);
    const enabled = await next((el) => (el.name === "enabled" || el.name === "failed") && el.attrs.xmlns === NS_SM);
    if (enabled.name !== "enabled") throw new Error(`stream management refused for ${this.o.user}`);
    this.stats.newSessions++;
    this.smId = enabled.attrs.id as string;
    this.acked = 0;
    this.h = 0;
    // A stanza written on a session the server did not resume may have reached it: sending it
    // again is what a client must do, and a duplicate it causes is the client's, not a loss.
    for (const item of this.outbox) {
      if (!item.written || item.id === undefined) continue;
      item.resent = true;
      this.o.hooks.resent(this, item.id);
    }
    this.online(socket, received);
    // Initial presence makes us available (RFC 6121 §4.2) and flushes stored messages to us.
    this.outbox.unshift({ text: "<presence/>" });
    this.write(this.outbox);
  }

  private online(socket: net.Socket, received: Element[]): void {
    this.state = "online";
    // Whatever arrived with <enabled/> or <resumed/> is handled as live traffic.
    for (const el of received.splice(0)) this.onElement(el);
    if (!this.reading) socket.pause();
  }

  private parser(socket: net.Socket, received: Element[], notify: () => void): StreamParser {
    return new StreamParser({
      limits: { maxStanzaBytes: 1 << 20, maxDepth: 64 },
      onStreamStart: () => undefined,
      onStanza: (el) => {
        if (this.socket !== socket) return;
        if (this.state === "online") this.onElement(el);
        else (received.push(el), notify());
      },
      onStreamEnd: () => socket.destroy(),
      onError: () => socket.destroy(),
    });
  }

  private onElement(el: Element): void {
    if (el.attrs.xmlns === NS_SM) {
      if (el.name === "r") this.raw(`<a xmlns='${NS_SM}' h='${this.h}'/>`);
      else if (el.name === "a") this.takeAck(Number(el.attrs.h));
      return;
    }
    if (el.name === "stream:error") {
      const condition = el.children.find((c) => typeof c !== "string" && c.name !== "text");
      this.streamError = typeof condition === "string" || !condition ? "stream-error" : condition.name;
      return;
    }
    if (!isStanza(el)) return;
    this.h++;
    if (el.name === "iq" && (el.attrs.type === "get" || el.attrs.type === "set")) {
      // The gateway pings quiet clients; any other request gets an answer too, as clients must.
      const type = el.getChild("ping") ? "result" : "error";
      const body = type === "error" ? "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>" : "";
      this.send({ text: `<iq type='${type}' id='${el.attrs.id as string}'${el.attrs.from ? ` to='${el.attrs.from as string}'` : ""}>${body}</iq>` });
    } else if (el.name === "message") {
      this.o.hooks.message(this, el);
    }
  }

  private takeAck(h: number): void {
    // h counts every stanza of this SM session modulo 2^32 (XEP-0198 §4); ours never wrap.
    const covered = Math.max(0, Math.min(h - this.acked, this.outbox.length));
    const done = this.outbox.splice(0, covered);
    this.acked += covered;
    for (const item of done) if (item.id !== undefined) this.o.hooks.accepted(this, item.id);
  }

  private write(items: Outgoing[]): void {
    if (items.length === 0) return;
    for (const item of items) item.written = true;
    this.raw(items.map((i) => i.text).join(""));
    this.ackTimer ??= setTimeout(() => this.requestAck(), 100);
  }

  private requestAck(): void {
    this.ackTimer = undefined;
    if (this.state !== "online" || this.outbox.length === 0) return;
    this.raw(`<r xmlns='${NS_SM}'/>`);
    this.ackTimer = setTimeout(() => this.requestAck(), 250);
  }

  private raw(text: string): void {
    const s = this.socket;
    if (s && !s.destroyed && this.state === "online") s.write(text);
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.teardown();
    if (this.state === "stopped") return;
    const wasOnline = this.state === "online";
    this.state = "offline";
    if (!wasOnline) return; // connect() is retrying
    this.stats.drops++;
    this.o.hooks.dropped(this, this.streamError ?? "socket closed");
    const gen = this.gen;
    void sleep(100 + Math.random() * 400).then(() => (this.gen === gen && this.state === "offline" ? this.connect() : undefined));
  }

  private teardown(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.socket?.destroy();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
