// One claimed partition's loop (partition-claims.ts): pulls of up to a batch each, and whatever has
// arrived (up to the consumer's max_ack_pending) handed to the handler as one batch, in order. Nothing of
// the partition is ever nak'd to the server while we hold it: a message the handler did not
// acknowledge is kept here, with everything after it, and handed over again after its delay, so
// a retry can never be overtaken by a later message of the partition.
import type { Consumer as JsConsumer, JsMsg } from "nats";
import type { Consumer, WorkMessage } from "./types.ts";
import type { HandlerErrorReporter } from "./errors.ts";
import { HANDLER_ERROR_NAK_MS } from "./work-defaults.ts";

/**
 * A pull request cannot be withdrawn: one left open when we stop would take messages (a handed
 * back one too) into an inbox nobody reads, lost until their ack wait. So pulls are short, and
 * stopping waits for the open one to end before handing anything back. An idle partition costs
 * one pull per expiry (answered with a timeout): at 1 s, 32 of them kept an idle worker and its
 * NATS busy. 3 s also bounds a stop or hand-over (CLAIM_RENEW_MS gives the lapse margin).
 */
export const PULL_EXPIRES_MS = 3_000;
const RETRY_MS = 500;
const SETTLE_POLL_MS = 200;

export type BatchHandler = (batch: WorkMessage[]) => Promise<void>;

class HeldMessage implements WorkMessage {
  settled: "ack" | "nak" | undefined;
  delayMs = 0;
  retries = 0;
  constructor(readonly m: JsMsg) {}
  get subject(): string {
    return this.m.subject;
  }
  get data(): Uint8Array {
    return this.m.data;
  }
  get deliveryCount(): number {
    return this.m.info.deliveryCount + this.retries;
  }
  ack(): void {
    if (this.settled) return;
    this.settled = "ack";
    this.m.ack();
  }
  /** Kept by the loop and handed over again, in order, after delayMs. */
  nak(delayMs?: number): void {
    if (this.settled) return;
    this.settled = "nak";
    this.delayMs = delayMs ?? 0;
  }
  working(): void {
    this.m.working();
  }
}

/**
 * What a stopping loop handed back (nak'd): `count` messages, the last at stream sequence `upTo`.
 * The server takes a nak on its own time, so the next holder's first pulls may bring newer
 * messages before these come back; it holds those until these have arrived (handedBack below).
 */
export interface HandedBack {
  upTo: number;
  count: number;
}

export interface BatchLoopOptions {
  maxBatch: number;
  ackWaitMs: number;
  /** Its last holder may still hold some of its messages (it died or lost its claim). */
  settle: boolean;
  /** Its last holder stopped cleanly and handed these back: nothing newer runs before them. */
  handedBack?: HandedBack;
  /** Messages of the partition delivered and not yet acknowledged, across every process. */
  pending(): Promise<number>;
}

export class PartitionBatchLoop implements Consumer {
  private readonly buffer: HeldMessage[] = [];
  /** Wakes the loop waiting for messages. */
  private wake: (() => void) | undefined;
  /** Cuts a retry delay short (stop). */
  private interrupt: (() => void) | undefined;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly consumer: JsConsumer,
    private readonly handler: BatchHandler,
    private readonly opts: BatchLoopOptions,
    private readonly report: HandlerErrorReporter,
  ) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    await this.handOver();
  }

  /** Stops, hands back what it holds (in order, undelayed), and says what that was. */
  async handOver(): Promise<HandedBack | undefined> {
    this.stopped = true;
    this.wake?.();
    this.interrupt?.();
    await this.loop;
    // Once no pull of ours is open; the next holder runs them before anything newer.
    const rest = this.buffer.splice(0).sort((a, b) => a.m.seq - b.m.seq);
    for (const m of rest) m.m.nak();
    return rest.length === 0 ? undefined : { upTo: rest.at(-1)!.m.seq, count: rest.length };
  }

  private async run(): Promise<void> {
    if (this.opts.settle) await this.settle();
    const pulling = this.pull();
    let awaiting = this.opts.handedBack;
    const giveUpAt = Date.now() + this.opts.ackWaitMs;
    while (!this.stopped) {
      if (awaiting && this.buffer.filter((m) => m.m.seq <= awaiting!.upTo).length < awaiting.count && Date.now() < giveUpAt) {
        await this.nextArrival(giveUpAt - Date.now());
        continue;
      }
      if (awaiting) {
        // Back (or, past the ack wait, given up on): from here on, stream order.
        this.buffer.sort((a, b) => a.m.seq - b.m.seq);
        awaiting = undefined;
      }
      if (this.buffer.length === 0) {
        await this.nextArrival();
        continue;
      }
      await this.handle(this.buffer.slice(0, this.opts.maxBatch));
    }
    await pulling;
  }

  private async nextArrival(timeoutMs?: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = timeoutMs === undefined ? undefined : setTimeout(resolve, Math.max(0, timeoutMs));
      this.wake = () => (clearTimeout(t), resolve());
    });
    this.wake = undefined;
  }

  /**
   * A partition taken from a holder that died (or lost its claim) may still have messages out
   * with it. Pull only once they are settled, or once its ack wait has passed: they then come
   * back before anything newer.
   */
  private async settle(): Promise<void> {
    const until = Date.now() + this.opts.ackWaitMs;
    while (!this.stopped && Date.now() < until) {
      try {
        if ((await this.opts.pending()) === 0) return;
      } catch (err) {
        this.report(err, "partition pending");
      }
      await sleep(SETTLE_POLL_MS);
    }
  }

  private async pull(): Promise<void> {
    while (!this.stopped) {
      try {
        const room = this.opts.maxBatch - this.buffer.length;
        if (room <= 0) {
          await sleep(10);
          continue;
        }
        const messages = await this.consumer.fetch({ max_messages: room, expires: PULL_EXPIRES_MS });
        for await (const m of messages) {
          this.buffer.push(new HeldMessage(m));
          this.wake?.();
        }
      } catch (err) {
        if (this.stopped) break;
        this.report(err, "work queue consume");
        await sleep(RETRY_MS);
      }
    }
  }

  private async handle(batch: HeldMessage[]): Promise<void> {
    try {
      await this.handler(batch);
    } catch (err) {
      this.report(err, "work batch handler");
    }
    const stuck = batch.find((m) => m.settled !== "ack");
    // Acknowledged ones leave wherever they are; the rest keep their order for the retry.
    const acked = new Set(batch.filter((m) => m.settled === "ack"));
    const rest = this.buffer.filter((m) => !acked.has(m));
    this.buffer.splice(0, this.buffer.length, ...rest);
    if (!stuck) return;
    const delayMs = stuck.settled === "nak" ? stuck.delayMs : HANDLER_ERROR_NAK_MS;
    // Those handed over and not acknowledged come back as a further delivery.
    for (const m of batch) if (m.settled !== "ack") (m.settled = undefined, m.retries++);
    for (const m of this.buffer) m.working();
    await this.hold(delayMs);
  }

  /** Waits out a retry delay, keeping the held messages' ack wait from running out. */
  private async hold(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopped && Date.now() < until) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(until - Date.now(), this.opts.ackWaitMs / 3));
        this.interrupt = () => (clearTimeout(t), resolve());
      });
      this.interrupt = undefined;
      for (const m of this.buffer) m.working();
    }
  }
}

/** Per-message handling over a batch, for consume(): a message left unacknowledged holds the rest. */
export function oneByOne(handler: (msg: WorkMessage) => Promise<void>): BatchHandler {
  return async (batch) => {
    for (const m of batch as HeldMessage[]) {
      try {
        await handler(m);
      } catch {
        m.nak(HANDLER_ERROR_NAK_MS);
      }
      if (m.settled !== "ack") return;
    }
  };
}

/** The KV bucket of a partitioned queue's claims and the subject its consumers announce themselves on. */
export function claimNames(spec: { stream: string; subjectPrefix: string }): { bucket: string; members: string } {
  return { bucket: `${spec.stream}_CLAIMS`, members: `${spec.subjectPrefix}-members` };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
