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

async function handleOne(handler: (msg: WorkMessage) => Promise<void>, msg: NatsWorkMessage): Promise<void> {
  try {
    await handler(msg);
  } catch {
    msg.nak(HANDLER_ERROR_NAK_MS);
  }
}
