// A fetch loop with at most `concurrency` messages held at once. consumer.consume() would keep
// pulling as messages arrive, not as handlers finish, so a slow worker could hoard messages whose
// ack wait runs out in its buffer; fetching only free slots keeps the bound exact.
import type { Consumer as JsConsumer, ConsumerMessages, JsMsg } from "nats";
import type { Consumer, WorkMessage } from "./types.ts";
import type { HandlerErrorReporter } from "./errors.ts";
import { HANDLER_ERROR_NAK_MS } from "./work-defaults.ts";

/** How long one pull request waits on an empty queue (the nats.js minimum is 1 s). */
const FETCH_EXPIRES_MS = 5_000;
/** Pause after a failed pull (stream deleted, disconnected) before trying again. */
const RETRY_MS = 500;

class NatsWorkMessage implements WorkMessage {
  constructor(private readonly m: JsMsg) {}
  get subject(): string {
    return this.m.subject;
  }
  get data(): Uint8Array {
    return this.m.data;
  }
  get deliveryCount(): number {
    return this.m.info.deliveryCount;
  }
  ack(): void {
    this.m.ack();
  }
  nak(delayMs?: number): void {
    this.m.nak(delayMs);
  }
  working(): void {
    this.m.working();
  }
}

export class PullLoop implements Consumer {
  private readonly running = new Set<Promise<void>>();
  private batch: ConsumerMessages | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(
    private readonly consumer: JsConsumer,
    private readonly concurrency: number,
    private readonly handler: (msg: WorkMessage) => Promise<void>,
    private readonly report: HandlerErrorReporter,
  ) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.batch?.stop();
    this.wake?.();
    await this.loop;
    await Promise.all(this.running);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const free = this.concurrency - this.running.size;
      if (free === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      try {
        await this.pull(free);
      } catch (err) {
        if (this.stopped) break;
        this.report(err, "work queue fetch");
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private async pull(max: number): Promise<void> {
    const batch = await this.consumer.fetch({ max_messages: max, expires: FETCH_EXPIRES_MS });
    this.batch = batch;
    if (this.stopped) batch.stop();
    try {
      for await (const m of batch) {
        // Pulled after stop(): hand it straight back rather than let its ack wait run out.
        if (this.stopped) m.nak();
        else this.start(m);
      }
    } finally {
      this.batch = undefined;
    }
  }

  private start(m: JsMsg): void {
    const done = this.handle(new NatsWorkMessage(m)).finally(() => {
      this.running.delete(done);
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    });
    this.running.add(done);
  }

  private handle(msg: NatsWorkMessage): Promise<void> {
    return handleOne(this.handler, msg);
  }
}

/** Messages one consume() pull asks for; the server still sends one at a time (max_ack_pending 1). */
const PARTITION_PULL = 100;

/**
 * An ordered partition's loop. The server lets one message of the partition be unacknowledged at
 * a time (max_ack_pending 1), so one long-lived pull (consume()) cannot hoard, and each message
 * no longer costs a fetch of its own (a pull request and an inbox subscription each), which was
 * most of an AMP worker's CPU per message. stop() unsubscribes while the pull is still open; the
 * server drops a pull request whose reply subject nobody listens to (checked with nats-server
 * 2.9.10), so the partition's next message goes to another worker, not to a dead inbox.
 */
export class PartitionLoop implements Consumer {
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly consumer: JsConsumer,
    private readonly handler: (msg: WorkMessage) => Promise<void>,
    private readonly report: HandlerErrorReporter,
  ) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const messages = await this.consumer.consume({ max_messages: PARTITION_PULL, expires: FETCH_EXPIRES_MS });
        this.messages = messages;
        if (this.stopped) messages.stop();
        for await (const m of messages) {
          if (this.stopped) m.nak();
          else await handleOne(this.handler, new NatsWorkMessage(m));
        }
      } catch (err) {
        if (this.stopped) break;
        this.report(err, "work queue consume");
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }
}

async function handleOne(handler: (msg: WorkMessage) => Promise<void>, msg: NatsWorkMessage): Promise<void> {
  try {
    await handler(msg);
  } catch {
    msg.nak(HANDLER_ERROR_NAK_MS);
  }
}
