// One BOSH session as a transport (XEP-0124, XEP-0206): request bodies, taken in rid order,
// are the input; writes are queued until a held request can carry them. The protocol phases
// see it like any other transport (transport.ts). Inactivity (no request open for
// `inactivity` seconds, §12) ends it like a dropped TCP connection.
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { Element, StreamParserOptions, XmlLimits } from "@xmppd/xml";
import { creationAttrs, responseBody, terminateBody, type BoshCondition, type CreationParams } from "./bosh-body.ts";
import { BoshInput, bodyLimits } from "./bosh-input.ts";
import { HeldRequests, ResponseCache, type Reply } from "./bosh-requests.ts";
import { RidWindow } from "./bosh-rids.ts";
import type { StreamInput, Transport, TransportSink } from "./transport.ts";
import { qualify } from "./ws-transport.ts";

export type SessionParams = Omit<CreationParams, "from" | "authid">;

export interface BoshSessionOptions {
  params: SessionParams;
  remoteIp: string;
  isSecure: boolean;
  /** The rid of the session creation request. */
  rid: number;
  reply: Reply;
  /** The session is over: forget its sid. */
  onFinished: (sid: string) => void;
}

/** Stream errors with a binding condition of the same name (XEP-0124 §17.2); others are remote-stream-error (XEP-0206 §7). */
const SAME_NAME = new Set(["host-unknown", "policy-violation", "system-shutdown", "internal-server-error"]);
const STREAM_ERROR = /^<stream:error[^>]*>\s*<([a-z-]+)/;
const CLOSE_TEXT = "</stream:stream>";

interface Pending {
  rid: number;
  body: Element;
  text: string;
  res: ServerResponse;
}

export class BoshTransport implements Transport {
  readonly kind = "bosh";
  readonly canStartTls = false;
  readonly closeText = CLOSE_TEXT;
  readonly remoteIp: string;
  readonly isSecure: boolean;
  readonly sid: string;
  private readonly params: SessionParams;
  private readonly held = new HeldRequests();
  private readonly cache: ResponseCache;
  private readonly rids: RidWindow<Pending>;
  private readonly inbound: string[] = [];
  private out: string[] = [];
  private outBytes = 0;
  private sink: TransportSink | null = null;
  private parser: BoshInput | null = null;
  private paused = false;
  private flushing: NodeJS.Immediate | null = null;
  private idle: NodeJS.Timeout | null = null;
  private pauseMs: number | null = null;
  private lastRequestAt = Date.now();
  private creation: { from: string; authid: string | undefined } | null = null;
  private created = false;
  /** Set when the stream is closing: the next response is the terminal one (§13, §17). */
  private closing: { condition: BoshCondition | undefined } | null = null;
  private finished = false;

  constructor(private readonly options: BoshSessionOptions, creationText: string, creationRes: ServerResponse) {
    this.params = options.params;
    this.sid = options.params.sid;
    this.remoteIp = options.remoteIp;
    this.isSecure = options.isSecure;
    this.cache = new ResponseCache(this.params.requests);
    this.rids = new RidWindow(options.rid + 1, this.params.requests);
    this.inbound.push(creationText);
    this.hold(options.rid, creationRes);
  }

  /** The limits a request body must meet now (the connection's, before or after authentication). */
  bodyLimits(fallback: XmlLimits): XmlLimits {
    return bodyLimits(this.parser?.currentLimits() ?? fallback);
  }

  /** A request of this session after the creation request (XEP-0124 §14). */
  request(rid: number, body: Element, text: string, res: ServerResponse): void {
    this.clearIdle();
    if (this.finished) return this.options.reply(res, terminateBody("item-not-found"));
    // §11: polling too often (sessions with hold='0'), or a pause longer than maxpause (§12).
    if (this.rids.isNew(rid) && (this.pollsTooOften(body) || !this.pauseAllowed(body))) return this.refuse(res, "policy-violation");
    const verdict = this.rids.offer(rid, { rid, body, text, res }, this.held.size);
    switch (verdict.kind) {
      case "retransmission":
        return this.retransmitted(rid, res);
      case "repeat":
        return void verdict.previous.res.destroy();
      case "beyond":
        return this.refuse(res, "item-not-found");
      case "overactive":
        return this.refuse(res, "policy-violation");
      case "queued":
        for (const pending of verdict.ready) this.take(pending);
    }
  }

  /** A terminal binding error (§17.2) on this request and every open one; the session ends. */
  refuse(res: ServerResponse, condition: BoshCondition): void {
    this.options.reply(res, terminateBody(condition));
    for (const h of this.held.takeAll()) this.options.reply(h.res, terminateBody(condition));
    for (const e of this.rids.drain()) this.options.reply(e.res, terminateBody(condition));
    this.finish();
  }

  attach(sink: TransportSink): void {
    this.sink = sink;
    setImmediate(() => this.deliver());
  }

  input(options: StreamParserOptions): StreamInput {
    this.parser = new BoshInput(options);
    return this.parser;
  }

  /** BOSH has no stream header: the creation response stands for it (XEP-0206 §4). */
  header(domain: string, _lang: string, _to?: string): string {
    this.creation ??= { from: domain, authid: randomBytes(16).toString("base64url") };
    return "";
  }

  write(text: string): void {
    if (this.finished || this.closing || text === "") return;
    if (text === CLOSE_TEXT) return void (this.closing = { condition: undefined });
    const streamError = STREAM_ERROR.exec(text)?.[1];
    if (streamError !== undefined) {
      this.closing = { condition: SAME_NAME.has(streamError) ? (streamError as BoshCondition) : "remote-stream-error" };
    }
    const qualified = qualify(text);
    this.out.push(qualified);
    this.outBytes += Buffer.byteLength(qualified);
    this.scheduleFlush();
  }

  buffered(): number {
    return this.outBytes;
  }

  isWritable(): boolean {
    return !this.finished;
  }

  startTls(): void {
    throw new Error("STARTTLS is not offered over BOSH (XEP-0206 §6)");
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.deliver();
    this.trimHeld();
  }

  end(graceMs: number): void {
    this.closing ??= { condition: undefined };
    this.scheduleFlush();
    // No request comes to carry the terminal response: the session ends without it.
    setTimeout(() => this.finish(), graceMs).unref();
  }

  destroy(): void {
    for (const h of this.held.takeAll()) this.options.reply(h.res, terminateBody(this.closing?.condition ?? "system-shutdown"));
    this.finish();
  }

  private take({ rid, body, text, res }: Pending): void {
    this.lastRequestAt = Date.now();
    this.inbound.push(text);
    this.deliver();
    if (body.attrs.pause !== undefined) return this.pauseSession(Number(body.attrs.pause), res);
    this.pauseMs = null;
    this.hold(rid, res);
    this.trimHeld();
  }

  /**
   * §8: at most `hold` requests wait; the oldest is answered (empty, or with what is queued).
   * While reading is paused (rate limits) the extra request stays held, so a client cannot send
   * more bodies than its `requests` before the pause ends (pause reading, don't drop).
   */
  private trimHeld(): void {
    if (this.paused) return;
    while (this.held.size > this.params.hold) this.answerOldest();
  }

  /** §12: answer everything now and allow `seconds` without a request. */
  private pauseSession(seconds: number, res: ServerResponse): void {
    this.pauseMs = seconds * 1000;
    while (this.held.size > 0) this.answerOldest();
    this.options.reply(res, responseBody([]));
    this.startIdle();
  }

  private retransmitted(rid: number, res: ServerResponse): void {
    if (this.held.has(rid)) return this.held.replace(rid, res);
    const sent = this.cache.get(rid);
    // §14.3: the same response again, or item-not-found when it is no longer kept.
    if (sent !== undefined) return this.options.reply(res, sent);
    this.refuse(res, "item-not-found");
  }

  private pauseAllowed(body: Element): boolean {
    if (body.attrs.pause === undefined) return true;
    const seconds = Number(body.attrs.pause);
    return Number.isInteger(seconds) && seconds >= 0 && seconds <= this.params.maxpause;
  }

  private pollsTooOften(body: Element): boolean {
    if (this.params.hold > 0 || this.held.size > 0 || this.rids.waiting > 0) return false;
    const empty = body.children.every((c) => typeof c === "string") && body.attrs.type === undefined && body.attrs.pause === undefined;
    return empty && Date.now() - this.lastRequestAt < this.params.polling * 1000;
  }

  private hold(rid: number, res: ServerResponse): void {
    this.held.hold(rid, res, this.params.wait * 1000, () => this.answerUpTo(rid));
    this.scheduleFlush();
  }

  private answerUpTo(rid: number): void {
    while (this.held.size > 0 && !this.held.isOldest(rid)) this.answerOldest();
    if (this.held.size > 0) this.answerOldest();
  }

  /** Answers the oldest held request with everything queued (or an empty body). */
  private answerOldest(): void {
    const entry = this.held.takeOldest();
    if (!entry) return;
    const payload = this.out;
    this.out = [];
    this.outBytes = 0;
    if (this.closing) {
      this.options.reply(entry.res, terminateBody(this.closing.condition, payload));
      for (const h of this.held.takeAll()) this.options.reply(h.res, terminateBody(this.closing.condition));
      return this.finish();
    }
    const attrs = this.created ? {} : this.creationAttrs();
    this.created = true;
    const body = responseBody(payload, attrs);
    this.cache.remember(entry.rid, body);
    this.options.reply(entry.res, body);
    if (this.held.size === 0 && this.rids.waiting === 0) this.startIdle();
  }

  private creationAttrs(): Record<string, string | number | undefined> {
    return creationAttrs({ ...this.params, from: this.creation?.from ?? "", authid: this.creation?.authid });
  }

  private scheduleFlush(): void {
    this.flushing ??= setImmediate(() => {
      this.flushing = null;
      if ((this.out.length > 0 || this.closing) && this.held.size > 0) this.answerOldest();
    });
  }

  private deliver(): void {
    while (this.sink && !this.paused && !this.finished && this.inbound.length > 0) this.sink.data(this.inbound.shift()!);
  }

  private startIdle(): void {
    this.clearIdle();
    if (this.finished) return;
    this.idle = setTimeout(() => this.finish(), this.pauseMs ?? this.params.inactivity * 1000);
  }

  private clearIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
  }

  /** The session is over: like a closed socket, the connection learns it once. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearIdle();
    if (this.flushing) clearImmediate(this.flushing);
    for (const h of this.held.takeAll()) h.res.destroy();
    for (const e of this.rids.drain()) e.res.destroy();
    this.out = [];
    this.outBytes = 0;
    this.options.onFinished(this.sid);
    this.sink?.closed();
  }
}
