// One client connection: its socket (plain, then TLS), its XML stream parser, its negotiation
// state and the ways it ends. The protocol phases live in their own files and act on it.
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket, type SecureContext } from "node:tls";
import { StreamParser, STREAM_CLOSE, type Element, type XmlLimits, type XmlStreamError } from "@xmppd/xml";
import { streamError, type StreamErrorCondition } from "@xmppd/stanza";
import type { GatewayContext } from "./context.ts";
import { NegotiationTimer } from "./negotiation-timer.ts";
import { streamHeader } from "./stream-text.ts";
import { ReadGate } from "./read-gate.ts";
import { TokenBucket } from "./token-bucket.ts";
import type { RouterBody } from "./upstream.ts";

/** The stream phases, wired in by the listener. */
export interface StreamHandlers {
  header(conn: Connection, attrs: Record<string, string>): void;
  element(conn: Connection, el: Element): void;
}

/** Feed the parser at most this much at once (ARCHITECTURE "Limits": chunks of 64 KiB or less). */
const MAX_FEED = 64 * 1024;
/** After our </stream:stream>, how long the peer gets to close before the socket is destroyed. */
const CLOSE_GRACE_MS = 2000;

export class Connection {
  readonly id = randomBytes(8).toString("hex");
  socket: Socket;
  secure = false;
  domain: string;
  /** xml:lang of the client's stream header (RFC 6120 §4.7.4). */
  lang = "en";
  /** The client's `from` on its stream header, echoed as our `to` (RFC 6120 §4.7.1). */
  peer: string | undefined;
  /** Set once our stream header for the current stream has been written. */
  headerSent = false;
  /** Bare JID once SASL succeeded; full JID once the resource is bound. */
  user: string | null = null;
  jid: string | null = null;
  saslFailures = 0;
  private unflushed = 0;
  readonly gate: ReadGate;
  readonly stanzaBucket: TokenBucket;
  readonly timer: NegotiationTimer;
  private readonly byteBucket: TokenBucket;
  private readonly parser: StreamParser;
  private opened = false;
  private closing = false;
  private feeding = false;
  private restartPending = false;
  private readonly onData = (chunk: Buffer) => this.read(chunk);

  constructor(
    readonly ctx: GatewayContext,
    private readonly raw: Socket,
    readonly ip: string,
    handlers: StreamHandlers,
    private readonly onGone: (conn: Connection) => void,
  ) {
    const limits = ctx.config.gateway.limits;
    this.socket = raw;
    this.domain = ctx.domains[0]!;
    this.gate = new ReadGate(raw);
    this.byteBucket = new TokenBucket(limits.bytesPerSecond, limits.bytesBurst);
    this.stanzaBucket = new TokenBucket(limits.stanzasPerSecond, limits.stanzasBurst);
    this.timer = new NegotiationTimer(limits.negotiationStepMs, limits.negotiationTotalMs, () =>
      this.fail("connection-timeout"),
    );
    this.parser = new StreamParser({
      limits: this.limits(),
      onStreamStart: (attrs) => this.accepting() && handlers.header(this, attrs),
      onStanza: (el) => this.accepting() && handlers.element(this, el),
      onStreamEnd: () => this.accepting() && this.close("stream closed by client"),
      onError: (err: XmlStreamError) => this.accepting() && this.fail(err.condition, err.text),
    });
    raw.on("data", this.onData);
    raw.on("error", (err) => this.ctx.log.debug({ err, conn: this.id }, "socket error"));
    raw.on("close", () => this.gone());
  }

  /** Writes raw XML text; a client that does not read gets resource-constraint. */
  write(text: string): void {
    if (this.socket.destroyed) return;
    // Writes since the socket's buffer was last empty: the stanzas waiting for a slow reader.
    if (this.socket.writableLength === 0) this.unflushed = 0;
    this.socket.write(text);
    if (this.socket.writableLength > 0) this.unflushed += 1;
    const { outboundBytes, outboundStanzas } = this.ctx.config.gateway.limits;
    if (!this.closing && (this.socket.writableLength > outboundBytes || this.unflushed > outboundStanzas)) {
      this.fail("resource-constraint", "outbound queue full");
    }
  }

  send(el: Element): void {
    this.write(el.toString());
  }

  /** Relays an envelope to this connection's router, announcing the connection first. */
  relay(body: RouterBody): boolean {
    if (!this.opened) {
      this.opened = true;
      this.ctx.upstream.send(this.id, { t: "open", domain: this.domain, ip: this.ip, secure: this.secure }, true);
    }
    if (this.ctx.upstream.send(this.id, body)) return true;
    this.fail("resource-constraint", "too many envelopes waiting for the router");
    return false;
  }

  /** A new stream follows (after STARTTLS or SASL success, RFC 6120 §5.4.3.3, §6.4.6). */
  restartStream(): void {
    this.headerSent = false;
    this.parser.setLimits(this.limits());
    if (this.feeding) this.restartPending = true;
    else this.parser.restart();
  }

  /** Sends <proceed/> and wraps the socket in TLS (RFC 6120 §5.4.2.3, §5.4.3.3). */
  upgradeTls(proceed: string, secureContext: SecureContext): void {
    this.write(proceed);
    this.raw.off("data", this.onData);
    // The TLS layer reads the raw socket from now on; a pause left by the rate limiter moves to it.
    this.raw.resume();
    const tls = new TLSSocket(this.raw, { isServer: true, secureContext });
    tls.on("error", (err) => this.ctx.log.debug({ err, conn: this.id }, "tls error"));
    tls.on("data", this.onData);
    this.socket = tls;
    this.gate.attach(tls);
    this.secure = true;
    this.restartStream();
  }

  /** Stream error (RFC 6120 §4.9): header first if none was sent, the error, close. */
  fail(condition: StreamErrorCondition, text?: string): void {
    if (this.closing) return;
    this.closing = true;
    this.ctx.metrics.streamErrors.inc({ condition });
    this.ctx.log.debug({ conn: this.id, condition, text }, "stream error");
    const header = this.headerSent ? "" : streamHeader(this.domain, this.lang, this.peer);
    this.write(header + streamError(condition, text).toString() + STREAM_CLOSE);
    this.end(condition);
  }

  /** Writes our stream header for the current stream (RFC 6120 §4.7). */
  openStream(): void {
    this.write(streamHeader(this.domain, this.lang, this.peer));
    this.headerSent = true;
  }

  /** Closes the stream without an error (RFC 6120 §4.4). */
  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.write(STREAM_CLOSE);
    this.end(reason);
  }

  /** Cuts the connection at once (end of a drain). */
  destroy(): void {
    this.socket.destroy();
    this.raw.destroy();
  }

  isClosing(): boolean {
    return this.closing;
  }

  private end(reason: string): void {
    this.timer.done();
    this.relayClosed(reason);
    this.socket.end();
    setTimeout(() => this.raw.destroy(), CLOSE_GRACE_MS).unref();
  }

  private relayClosed(reason: string): void {
    if (!this.opened) return;
    this.opened = false;
    const jid = this.jid ?? this.user;
    this.ctx.upstream.send(this.id, { t: "closed", reason, ...(jid ? { jid } : {}) }, true);
    this.ctx.upstream.finish(this.id);
  }

  private gone(): void {
    this.closing = true;
    this.timer.done();
    this.gate.clear();
    this.relayClosed("disconnected");
    this.onGone(this);
  }

  private read(chunk: Buffer): void {
    const wait = this.byteBucket.take(chunk.length);
    this.feeding = true;
    for (let at = 0; at < chunk.length && this.accepting(); at += MAX_FEED) {
      this.parser.write(chunk.subarray(at, at + MAX_FEED));
    }
    this.feeding = false;
    if (this.restartPending) {
      this.restartPending = false;
      this.parser.restart();
    }
    // Pause, never drop (ARCHITECTURE "Limits").
    if (wait > 0) this.gate.hold("bytes", wait);
  }

  /** Parser output counts only while the stream is open and no restart is waiting. */
  private accepting(): boolean {
    return !this.closing && !this.restartPending;
  }

  private limits(): XmlLimits {
    const l = this.ctx.config.gateway.limits;
    return this.user === null
      ? { maxStanzaBytes: l.preAuthStanzaBytes, maxDepth: l.depth, maxElements: l.preAuthElements }
      : { maxStanzaBytes: l.stanzaBytes, maxDepth: l.depth };
  }
}
