// Server-initiated keepalives (XEP-0199 §4.2): a connection that has sent nothing for
// `intervalMs` gets a ping iq once its resource is bound (any answer, even an error, proves the
// client alive, §4.2) or, before that, a whitespace keepalive on a TCP stream (RFC 6120 §4.6.1;
// RFC 7395 §3.3.3 and XEP-0206 have no such thing). After a ping, `intervalMs` more without
// any traffic closes the connection with <connection-timeout/> (RFC 6120 §4.9.3.4).
import { randomBytes } from "node:crypto";
import { xml, type Element } from "@xmppd/xml";
import { NS_CLIENT, NS_PING } from "@xmppd/stanza";

export interface KeepaliveHooks {
  /** The bound full JID, or null before binding. */
  jid(): string | null;
  domain(): string;
  /** Whitespace may be written between elements (a TCP or TLS stream whose header was sent). */
  canWhitespace(): boolean;
  write(text: string): void;
  timedOut(): void;
}

export function pingIq(id: string, from: string, to: string): Element {
  return xml("iq", { xmlns: NS_CLIENT, type: "get", id, from, to }, xml("ping", { xmlns: NS_PING }));
}

export class Keepalive {
  private timer: NodeJS.Timeout | null = null;
  private lastReceived = Date.now();
  /** The id of the ping in flight, while its answer is awaited. */
  private pending: string | null = null;
  private awaiting = false;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly hooks: KeepaliveHooks,
    private readonly now: () => number = Date.now,
  ) {
    this.lastReceived = now();
    this.arm(intervalMs);
  }

  /**
   * Something was received: the connection is alive. Only a timestamp per read; the timer
   * notices it when it fires (no timer churn on a busy connection).
   */
  touch(): void {
    this.lastReceived = this.now();
    this.awaiting = false;
  }

  /** The client's answer to our ping (result or error, §4.2): consumed here, never relayed. */
  isAnswer(el: Element): boolean {
    const { id, type } = el.attrs;
    if (this.pending === null || el.name !== "iq" || id !== this.pending || (type !== "result" && type !== "error")) return false;
    this.pending = null;
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    if (!this.stopped) this.timer = setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    const quiet = this.now() - this.lastReceived;
    if (quiet < this.intervalMs) return this.arm(this.intervalMs - quiet);
    if (this.awaiting) return this.hooks.timedOut();
    const jid = this.hooks.jid();
    if (jid === null) {
      // Nothing to answer before binding; the negotiation timers bound that phase.
      if (this.hooks.canWhitespace()) this.hooks.write(" ");
      this.lastReceived = this.now();
      return this.arm(this.intervalMs);
    }
    this.pending = `ping-${randomBytes(6).toString("hex")}`;
    this.hooks.write(pingIq(this.pending, this.hooks.domain(), jid).toString());
    this.awaiting = true;
    // The answer (or any traffic) must come within one more interval.
    this.lastReceived = this.now();
    this.arm(this.intervalMs);
  }
}
