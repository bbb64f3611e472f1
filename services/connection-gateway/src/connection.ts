// One client stream, whatever carries it (TCP, direct TLS, WebSocket or BOSH: transport.ts): its
// parser, its negotiation state and the ways it ends. The protocol phases live in their own
// files and act on it, so each exists once for every transport.
import { randomBytes } from "node:crypto";
import type { Element, XmlLimits, XmlStreamError } from "@xmppd/xml";
import { streamError, type StreamErrorCondition } from "@xmppd/stanza";
import type { GatewayContext } from "./context.ts";
import { CsiBuffer } from "./csi.ts";
import { Keepalive } from "./keepalive.ts";
import { NegotiationTimer } from "./negotiation-timer.ts";
import { ReadGate } from "./read-gate.ts";
import type { StreamManagement } from "./sm.ts";
import type { ServerTls } from "./tls-context.ts";
import { TokenBucket } from "./token-bucket.ts";
import type { StreamInput, Transport } from "./transport.ts";
import type { RouterBody } from "./upstream.ts";

/** The stream phases, wired in by the listener. */
export interface StreamHandlers {
  header(conn: Connection, attrs: Record<string, string>): void;
  element(conn: Connection, el: Element): void;
}

/** After our close, how long the peer gets to close before the connection is cut. */
const CLOSE_GRACE_MS = 2000;

export class Connection {
  readonly id = randomBytes(8).toString("hex");
  readonly ip: string;
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
  /** Deliveries held back while the client is inactive (XEP-0352). */
  readonly csi: CsiBuffer;
  /** XEP-0198 stream management, once the client enabled it or asked to resume (sm-nonza.ts). */
  sm: StreamManagement | null = null;
  /** Server pings when the client is quiet (XEP-0199). */
  readonly keepalive: Keepalive;
  private readonly byteBucket: TokenBucket;
  private readonly parser: StreamInput;
  private opened = false;
  private closing = false;
  /** Why the stream ended, first cause only: logged when the connection is gone. */
  private closeReason: string | undefined;
  private feeding = false;
  private restartPending = false;

  constructor(
    readonly ctx: GatewayContext,
    readonly transport: Transport,
    handlers: StreamHandlers,
    private readonly onGone: (conn: Connection) => void,
  ) {
    const limits = ctx.config.gateway.limits;
    this.ip = transport.remoteIp;
    this.domain = ctx.domains[0]!;
    this.gate = new ReadGate(transport);
    this.byteBucket = new TokenBucket(limits.bytesPerSecond, limits.bytesBurst);
    this.stanzaBucket = new TokenBucket(limits.stanzasPerSecond, limits.stanzasBurst);
    this.timer = new NegotiationTimer(limits.negotiationStepMs, limits.negotiationTotalMs, () =>
      this.fail("connection-timeout"),
    );
    // Half the outbound queue at most, so that a flush of the CSI buffer always fits in it.
    const csiLimits = { maxStanzas: Math.ceil(limits.outboundStanzas / 2), maxBytes: Math.ceil(limits.outboundBytes / 2) };
    this.csi = new CsiBuffer(csiLimits, (xml) => this.write(xml));
    this.keepalive = new Keepalive(ctx.config.gateway.pingIntervalMs, {
      jid: () => this.jid,
      domain: () => this.domain,
      canWhitespace: () => this.headerSent && (transport.kind === "tcp" || transport.kind === "tls"),
      // A ping iq is a stanza the client counts (XEP-0198); a whitespace keepalive is not.
      write: (text) => (this.sm && text.trim() !== "" ? this.sm.local(text) : this.write(text)),
      timedOut: () => this.fail("connection-timeout", "no answer to a ping (XEP-0199)"),
    });
    this.parser = transport.input({
      limits: this.limits(),
      onStreamStart: (attrs) => this.accepting() && handlers.header(this, attrs),
      onStanza: (el) => this.accepting() && handlers.element(this, el),
      onStreamEnd: () => this.accepting() && this.close("stream closed by client"),
      onError: (err: XmlStreamError) => this.accepting() && this.fail(err.condition, err.text),
    });
    // docs/logging.md: one line when a connection opens and one when it is gone.
    ctx.log.info({ event: "connection.open", ip: this.ip, transport: transport.kind, conn: this.id }, "connection opened");
    transport.attach({
      data: (chunk) => this.read(chunk),
      error: (err) => this.ctx.log.debug({ err, conn: this.id, transport: transport.kind }, "transport error"),
      closed: () => this.gone(),
    });
  }

  /** TLS protects the stream. */
  get secure(): boolean {
    return this.transport.isSecure;
  }

  /** Writes one element (or stream frame) as XML text; a client that does not read gets resource-constraint. */
  write(text: string): void {
    const { transport } = this;
    if (!transport.isWritable()) return;
    // Writes since the transport's buffer was last empty: the stanzas waiting for a slow reader.
    if (transport.buffered() === 0) this.unflushed = 0;
    transport.write(text);
    if (transport.buffered() > 0) this.unflushed += 1;
    const { outboundBytes, outboundStanzas } = this.ctx.config.gateway.limits;
    if (!this.closing && (transport.buffered() > outboundBytes || this.unflushed > outboundStanzas)) {
      this.fail("resource-constraint", "outbound queue full");
    }
  }

  send(el: Element): void {
    this.write(el.toString());
  }

  /** A stanza routed to this client: written now, or held while the client is inactive (XEP-0352). */
  deliver(xml: string): void {
    // Without XEP-0198, written is all the server can know of delivered (RFC 6120 promises no
    // more; docs/bounds.md). With it, sm.ts counts the client's acks instead.
    if (!this.sm) this.ctx.metrics.stanzaOutcomes.inc({ outcome: "delivered", reason: "written" });
    this.csi.deliver(xml);
  }

  /**
   * Relays an envelope to this connection's router, announcing the connection first. A full
   * router window is backpressure (docs/architecture.md "Limits": pause reading, don't drop): the socket
   * is not read until acks bring the window down to half; stanzas already parsed from the last
   * chunk are still taken, so the window overshoots by at most one read's worth.
   */
  relay(body: RouterBody): void {
    if (!this.opened) {
      this.opened = true;
      this.ctx.upstream.send(this.id, { t: "open", domain: this.domain, ip: this.ip, secure: this.secure, transport: this.transport.kind });
    }
    if (this.ctx.upstream.send(this.id, body) || this.gate.isHeld("router")) return;
    this.gate.holdUntilReleased("router");
    this.ctx.metrics.routerWindowPauses.inc();
    this.ctx.upstream.onRoom(this.id, () => this.gate.release("router"));
  }

  /** A new stream follows (after STARTTLS or SASL success, RFC 6120 §5.4.3.3, §6.4.6). */
  restartStream(): void {
    this.headerSent = false;
    this.parser.setLimits(this.limits());
    if (this.feeding) this.restartPending = true;
    else this.parser.restart();
  }

  /** Authenticated without a new stream (XEP-0078): the post-authentication limits apply now. */
  authenticatedInPlace(): void {
    this.parser.setLimits(this.limits());
  }

  /** Sends <proceed/> and wraps the socket in TLS (RFC 6120 §5.4.2.3, §5.4.3.3). */
  upgradeTls(proceed: string, tls: ServerTls): void {
    this.write(proceed);
    this.transport.startTls(tls);
    this.restartStream();
  }

  /** Stream error (RFC 6120 §4.9): header first if none was sent, the error, close. */
  fail(condition: StreamErrorCondition, text?: string): void {
    if (this.closing) return;
    this.closing = true;
    this.ctx.metrics.streamErrors.inc({ condition });
    this.ctx.log.debug({ conn: this.id, condition, text }, "stream error");
    // One write per element: over WebSocket each is its own message (RFC 7395 §3.5).
    if (!this.headerSent) this.write(this.transport.header(this.domain, this.lang, this.peer));
    this.write(streamError(condition, text).toString());
    this.write(this.transport.closeText);
    this.end(condition);
  }

  /** Writes our stream header for the current stream (RFC 6120 §4.7). */
  openStream(): void {
    this.write(this.transport.header(this.domain, this.lang, this.peer));
    this.headerSent = true;
  }

  /** Closes the stream without an error (RFC 6120 §4.4); `closeText` replaces the transport's usual one. */
  close(reason: string, closeText = this.transport.closeText): void {
    if (this.closing) return;
    this.closing = true;
    this.write(closeText);
    this.end(reason);
  }

  /** Cuts the connection at once (end of a drain). */
  destroy(): void {
    this.transport.destroy();
  }

  isClosing(): boolean {
    return this.closing;
  }

  private end(reason: string): void {
    this.closeReason ??= reason;
    this.timer.done();
    this.keepalive.stop();
    this.relayClosed(reason);
    this.transport.end(CLOSE_GRACE_MS);
  }

  private relayClosed(reason: string): void {
    if (!this.opened) return;
    // The client's last ack goes first, while the connection is still open upstream.
    this.sm?.stop();
    this.opened = false;
    const jid = this.jid ?? this.user;
    // XEP-0198 §5: a stream lost (not closed by the client) leaves a resumable session waiting.
    const resumable = this.sm?.staysAfter(reason) === true;
    this.sm?.ended(resumable);
    this.ctx.upstream.send(this.id, { t: "closed", reason, ...(jid ? { jid } : {}), ...(resumable ? { resumable } : {}) });
    // Without XEP-0198 nothing else keeps what is delivered from now on (returns.ts).
    if (!this.sm && this.jid) this.ctx.returns.ended(this.id);
    this.ctx.upstream.finish(this.id);
  }

  private gone(): void {
    const jid = this.jid ?? this.user;
    this.ctx.log.info({
      event: "connection.close", ip: this.ip, transport: this.transport.kind, conn: this.id,
      reason: this.closeReason ?? "disconnected", ...(jid ? { jid } : {}),
    }, "connection closed");
    this.closing = true;
    this.timer.done();
    this.keepalive.stop();
    this.gate.clear();
    this.relayClosed("disconnected");
    this.onGone(this);
  }

  private read(chunk: Buffer | string): void {
    const wait = this.byteBucket.take(typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length);
    this.keepalive.touch();
    this.feeding = true;
    // The stream parser feeds itself in pieces of 64 KiB or less (docs/architecture.md "Limits").
    if (this.accepting()) this.parser.write(chunk);
    this.feeding = false;
    if (this.restartPending) {
      this.restartPending = false;
      this.parser.restart();
    }
    // Pause, never drop (docs/architecture.md "Limits").
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
