// One connection's XEP-0198 state on the gateway (docs/stream-management.md). With resumption
// the private tier numbers and keeps every delivery; this side writes them in sequence, counts
// client stanzas, answers <r/> once the routers acknowledged what came before it, and reports the client's
// acks upstream in batches. Without resumption everything is counted here and nothing is kept.
import type { SmHeld } from "@xmppd/bus";
import { NS_SM, unwrapH, wrapH } from "@xmppd/stanza";
import { xml } from "@xmppd/xml";
import type { Connection } from "./connection.ts";
import { InboundCount, OutboundQueue } from "./sm-counters.ts";

/** Client acks are reported to the router at most this often (docs/architecture.md "Acknowledgements between tiers"). */
const ACK_REPORT_MS = 50;
/** After writing, ask the client for an ack this soon (XEP-0198 §4: the server may request at any time). */
const REQUEST_MS = 250;
/**
 * A numbered delivery missing this long (its publisher, a router or AMP worker, died between the
 * append and the publish): ask the connection's router to send what the store holds again.
 */
const GAP_MS = 1000;
/**
 * No answer to a replay this long: drop the stream, the client resumes. The router answers at
 * once, however many stanzas of the connection it is still routing (router.ts); this is for a
 * router that died with no other taking the connection over.
 */
const REPLAY_ANSWER_MS = 30_000;
/**
 * A client's <r/> that finds stanzas relayed but not yet acknowledged by the router waits this
 * long for those acknowledgements (they trail the router's answers by a flush and a Redis write),
 * then is answered with what is handled by then: <a h/> never counts more than the private tier
 * holds (docs/acknowledgements.md), and never makes the client wait on a router that is away.
 */
const ANSWER_WAIT_MS = 1000;

/**
 * Stream ends after which the client may resume (not a clean close, not an error of its own).
 * `reset`: a router that took the connection over could not verify it (router failover between
 * a bind or resumption and its acknowledgement): the client reconnects and resumes.
 * `resource-constraint`: its outbound queue reached the bound (a slow reader, docs/bounds.md);
 * what it never acknowledged waits for a resumption, then is stored offline or bounced.
 */
const RESUMABLE_ENDS = new Set(["disconnected", "connection-timeout", "system-shutdown", "see-other-host", "see-other-uri", "internal-server-error", "reset", "resource-constraint"]);

export class StreamManagement {
  /** The private tier's session id; null until <enabled/>/<resumed/>, and always without resumption. */
  id: string | null = null;
  /** "pending": waiting for the router's answer; deliveries numbered meanwhile wait too. */
  phase: "pending" | "on" = "pending";
  inbound: InboundCount;
  outbound = new OutboundQueue();
  private ackTimer: NodeJS.Timeout | null = null;
  private requestTimer: NodeJS.Timeout | null = null;
  /** An ack was asked for at once, the unacked queue being half full; asked again after the next ack. */
  private urgedAt: number | null = null;
  /** Deliveries wait behind a missing one: the replay is asked for when this fires. */
  private gapTimer: NodeJS.Timeout | null = null;
  /** A replay was asked for; its "replayed" is awaited. */
  private answerTimer: NodeJS.Timeout | null = null;
  private reported = 0;
  /** The counts each waiting <r/> needs handled before it is answered, oldest first. */
  private answers: number[] = [];
  private answerWait: NodeJS.Timeout | null = null;
  /** Numbered deliveries that came before the router's answer. */
  private early: { seq: number; xml: string }[] = [];

  constructor(
    private readonly conn: Connection,
    readonly resumable: boolean,
  ) {
    this.inbound = new InboundCount(0, conn.ctx.upstream.ackedThrough(conn.id));
  }

  /** The router's <enabled/> or <resumed/>: from now on deliveries are written by number. */
  start(id: string | null, counts?: { handled: number; acked: number }): void {
    this.id = id;
    this.phase = "on";
    if (counts) {
      this.inbound = new InboundCount(counts.handled, this.conn.ctx.upstream.ackedThrough(this.conn.id));
      this.outbound = new OutboundQueue(counts.acked, counts.acked);
      this.reported = counts.acked;
    }
    // A router that takes the connection over finds the XEP-0198 session in the session record.
    // CSI may hold stanzas but must not drop any: every one is counted (XEP-0198 h).
    this.conn.csi.keepEvery = true;
    for (const { seq, xml: text } of this.early.splice(0)) this.put(seq, text);
  }

  /** A client stanza about to be relayed: its count, handled once the router acknowledges it. */
  countRelayed(): number {
    return this.inbound.next(this.conn.ctx.upstream.lastSeq(this.conn.id) + 1);
  }

  /** A client stanza handled here (a pong, the session iq): handled once everything before it is. */
  countLocal(): void {
    this.inbound.next(this.conn.ctx.upstream.lastSeq(this.conn.id));
  }

  /**
   * The client's <r/>: answered with <a h/> once every stanza counted before it is handled (the
   * router acknowledged its envelope), or after ANSWER_WAIT_MS with what is handled by then.
   */
  requested(): void {
    const target = this.inbound.counted;
    if (this.answers.length === 0 && this.inbound.handled >= target) return this.conn.write(this.answer());
    this.answers.push(target);
    this.answerWait ??= setTimeout(() => this.answerDue(true), ANSWER_WAIT_MS);
  }

  /** The router acknowledged envelopes up to `seq`: their stanzas are handled; waiting <r/>s may be answered. */
  routerAcked(seq: number): void {
    this.inbound.acked(seq);
    if (this.answers.length > 0) this.answerDue(false);
  }

  /** <a h/>: what the private tier has handled. */
  answer(): string {
    return xml("a", { xmlns: NS_SM, h: String(wrapH(this.inbound.handled)) }).toString();
  }

  /** Answers the waiting <r/>s in order: those now covered, or all of them when the wait is over. */
  private answerDue(waitOver: boolean): void {
    while (this.answers.length > 0 && (waitOver || this.inbound.handled >= this.answers[0]!)) {
      this.answers.shift();
      if (!this.conn.isClosing()) this.conn.write(this.answer());
    }
    if (this.answerWait && (waitOver || this.answers.length === 0)) clearTimeout(this.answerWait);
    if (waitOver || this.answers.length === 0) this.answerWait = null;
  }

  /** A delivery from the bus. */
  deliver(text: string, seq: number | undefined): void {
    if (!this.resumable) {
      this.conn.deliver(text);
      if (this.phase === "on") (this.outbound.wroteNext(Buffer.byteLength(text)), this.wrote());
      return;
    }
    if (seq === undefined) {
      // Before <enabled/> it is not counted; after, only a number keeps the count right.
      if (this.phase === "pending") return this.conn.deliver(text);
      this.conn.relay({ t: "sm", jid: this.conn.jid!, op: "seq", xml: text });
      return;
    }
    if (this.phase === "pending") return void this.early.push({ seq, xml: text });
    this.put(seq, text);
  }

  /** A stanza the gateway writes itself (a ping, the session iq result): counted like any other. */
  local(text: string): void {
    this.deliver(text, undefined);
  }

  /** The client's <a h/>. False: it acknowledged more than it was sent. */
  clientAck(h: number): boolean {
    const before = this.outbound.acked;
    if (!this.outbound.ack(unwrapH(h, this.outbound.acked))) return false;
    // XEP-0198: acknowledged by the client is the one "delivered" the server can know.
    const n = this.outbound.acked - before;
    if (n > 0) this.conn.ctx.metrics.stanzaOutcomes.inc({ outcome: "delivered", reason: "acked" }, n);
    if (this.urgedAt !== null && this.outbound.acked > this.urgedAt) this.urgedAt = null;
    if (this.resumable && this.id !== null) this.ackTimer ??= setTimeout(() => this.report(), ACK_REPORT_MS);
    return true;
  }

  /** Whether the private tier keeps this session after the stream ended this way. */
  staysAfter(reason: string): boolean {
    return this.resumable && this.id !== null && RESUMABLE_ENDS.has(reason);
  }

  /**
   * The stream ended and the session does not stay: without resumption nothing is kept, so what
   * the client never acknowledged is lost to the server's knowledge (docs/bounds.md). With
   * resumption the private tier ends the session and stores or bounces it.
   */
  ended(stays: boolean): void {
    const { stanzas } = this.outbound.unacked();
    if (!this.resumable && !stays && stanzas > 0) this.conn.ctx.metrics.stanzaOutcomes.inc({ outcome: "dropped", reason: "unacked-no-resume" }, stanzas);
  }

  /** The stream ends: the last client ack goes upstream before the "closed" envelope. */
  stop(): void {
    if (this.ackTimer) this.report();
    for (const t of [this.requestTimer, this.gapTimer, this.answerTimer, this.answerWait]) if (t) clearTimeout(t);
    this.requestTimer = this.gapTimer = this.answerTimer = this.answerWait = null;
    this.answers = [];
  }

  /**
   * What the private tier needs back of this session should its store lose it (reregister.ts):
   * null without resumption or before <enabled/>, "gap" while a numbered delivery is missing
   * (later ones would take numbers the client is owed: ask again once it is filled).
   */
  held(): SmHeld | null | "gap" {
    if (!this.resumable || this.id === null || this.phase !== "on") return null;
    if (this.outbound.waiting() > 0) return "gap";
    const items = this.outbound.held();
    if (items === null) return "gap";
    return { id: this.id, handled: this.inbound.handled, acked: this.outbound.acked, items };
  }

  /** The router's answer to a replay: everything its store held through `through` came before this. */
  replayed(through: number): void {
    if (!this.answerTimer) return;
    clearTimeout(this.answerTimer);
    this.answerTimer = null;
    if (this.outbound.waiting() === 0) return;
    // The store numbered a delivery it no longer holds: nothing can fill this gap but a resumption.
    if (this.outbound.written < through) return this.giveUp("a numbered delivery is missing from the store");
    // Still waiting for deliveries appended after the router read the store: watch them in turn.
    this.watchGap();
  }

  private put(seq: number, text: string): void {
    const ready = this.outbound.take(seq, text);
    for (const item of ready) this.conn.deliver(item.xml);
    if (ready.length > 0) {
      if (this.gapTimer) clearTimeout(this.gapTimer);
      this.gapTimer = null;
      this.wrote();
    }
    this.watchGap();
  }

  private watchGap(): void {
    if (this.outbound.waiting() === 0 || this.gapTimer || this.answerTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      if (this.outbound.waiting() > 0) this.askReplay();
    }, GAP_MS);
  }

  /**
   * The bus reconnected (a NATS restart): numbered deliveries published meanwhile may be lost,
   * the last ones with nothing after them to reveal the gap. Ask for everything after what we wrote.
   */
  afterBusReconnect(): void {
    if (!this.resumable || this.id === null || this.phase !== "on" || this.answerTimer || this.conn.isClosing()) return;
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
    this.askReplay();
  }

  private askReplay(): void {
    this.conn.relay({ t: "sm", jid: this.conn.jid!, op: "replay", after: this.outbound.written });
    this.answerTimer = setTimeout(() => {
      this.answerTimer = null;
      // Filled meanwhile by its late publisher: nothing to give up.
      if (this.outbound.waiting() > 0) this.giveUp("no answer to a replay");
    }, REPLAY_ANSWER_MS);
  }

  private giveUp(why: string): void {
    this.conn.ctx.log.warn({ conn: this.conn.id, jid: this.conn.jid, written: this.outbound.written, waiting: this.outbound.waiting() }, `XEP-0198 gap not filled (${why}): dropping the stream for the client to resume`);
    this.conn.destroy();
  }

  private wrote(): void {
    const { stanzas, bytes } = this.outbound.unacked();
    const { outboundStanzas, outboundBytes } = this.conn.ctx.config.gateway.limits;
    // docs/architecture.md "Limits": the unacked queue holds 1000 stanzas / 2 MiB like the outbound queue.
    if (stanzas > outboundStanzas || bytes > outboundBytes) return this.conn.fail("resource-constraint", "too many unacknowledged stanzas");
    // Half the bound in flight (a burst): ask at once rather than after REQUEST_MS, so that a
    // client that acknowledges only when asked can do so before the bound ends its stream.
    if (this.urgedAt === null && (2 * stanzas >= outboundStanzas || 2 * bytes >= outboundBytes)) {
      this.urgedAt = this.outbound.acked;
      this.conn.write(xml("r", { xmlns: NS_SM }).toString());
      return;
    }
    this.requestTimer ??= setTimeout(() => {
      this.requestTimer = null;
      if (this.outbound.unacked().stanzas > 0 && !this.conn.isClosing()) this.conn.write(xml("r", { xmlns: NS_SM }).toString());
    }, REQUEST_MS);
  }

  private report(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    const upTo = this.outbound.acked;
    if (upTo <= this.reported || this.conn.jid === null) return;
    this.reported = upTo;
    this.conn.relay({ t: "sm", jid: this.conn.jid, op: "ack", upTo });
  }
}
