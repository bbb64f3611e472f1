// In-process durable-queue semantics matching the JetStream work queue: each message goes to one
// consumer; unacked messages come back after ack wait; nak returns them (after a delay); msgId
// de-duplicates within the window. "Durable" here means "until the process exits".
import type { ConsumeOptions, Consumer, WorkQueue, WorkQueueSpec } from "./types.ts";
import type { WorkMessage } from "./types.ts";
import { BusError, PayloadTooLargeError, WorkQueueFullError } from "./errors.ts";
import { DUPLICATE_WINDOW_MS, HANDLER_ERROR_NAK_MS, checkAckWait, checkConcurrency } from "./work-defaults.ts";
import { MemoryDispatcher, entrySize, type Entry } from "./memory-dispatcher.ts";
import { fromLimit, safeLimit, toLimit } from "./work-bounds.ts";
import { compilePattern, matches, type SubjectPattern } from "./subject-match.ts";

/** The work queues of one in-process bus, keyed by stream name like JetStream. */
export class MemoryWorkQueues {
  private readonly streams = new Map<string, MemoryWorkQueue>();
  constructor(private readonly maxPayload: number) {}

  get(spec: WorkQueueSpec): WorkQueue {
    const existing = this.streams.get(spec.stream);
    if (existing) return existing.sameSpec(spec);
    const q = new MemoryWorkQueue(spec, this.maxPayload);
    this.streams.set(spec.stream, q);
    return q;
  }

  async close(): Promise<void> {
    await Promise.all([...this.streams.values()].map((q) => q.close()));
    this.streams.clear();
  }
}

class MemoryWorkQueue implements WorkQueue {
  private readonly dispatcher = new MemoryDispatcher();
  private readonly seen = new Map<string, number>();
  private readonly partitions: SubjectPattern[];
  private seq = 0;

  constructor(
    private spec: WorkQueueSpec,
    private readonly maxPayload: number,
  ) {
    this.partitions = (spec.partitions ?? []).map((p) => compilePattern(p.filter));
  }

  sameSpec(spec: WorkQueueSpec): this {
    const filters = (q: WorkQueueSpec) => JSON.stringify(q.partitions ?? []);
    if (spec.subjectPrefix !== this.spec.subjectPrefix || spec.durable !== this.spec.durable || filters(spec) !== filters(this.spec)) {
      throw new BusError(`work queue stream ${spec.stream} already exists with another subject prefix, durable or partitions`);
    }
    // A JetStream stream update, with the NATS adapter's rule for lowering a bound.
    this.spec = {
      ...this.spec,
      maxMessages: fromLimit(safeLimit(toLimit(this.spec.maxMessages), toLimit(spec.maxMessages), this.dispatcher.size())),
      maxBytes: fromLimit(safeLimit(toLimit(this.spec.maxBytes), toLimit(spec.maxBytes), this.dispatcher.bytes())),
    };
    return this;
  }

  publish(subject: string, data: Uint8Array, opts?: { msgId?: string }): Promise<void> {
    const p = this.spec.subjectPrefix;
    if (!(subject.length > p.length + 1 && subject.startsWith(p) && subject[p.length] === ".")) {
      return Promise.reject(new BusError(`no work queue stream covers subject ${subject}`));
    }
    if (data.length > this.maxPayload) {
      return Promise.reject(new PayloadTooLargeError(subject, data.length, this.maxPayload));
    }
    // As JetStream: a duplicate is answered before the bounds, and a refused message leaves no msgId.
    if (opts?.msgId !== undefined && this.isDuplicate(opts.msgId)) return Promise.resolve();
    const full = this.fullBound(subject, data);
    if (full) return Promise.reject(new WorkQueueFullError(subject, full));
    if (opts?.msgId !== undefined) this.seen.set(opts.msgId, Date.now() + DUPLICATE_WINDOW_MS);
    const partition = this.partitions.findIndex((p) => matches(p, subject));
    const entry: Entry = { seq: ++this.seq, subject, data, partition: partition < 0 ? undefined : partition, deliveries: 0, token: 0, timer: undefined };
    this.dispatcher.add(entry);
    return Promise.resolve();
  }

  private isDuplicate(msgId: string): boolean {
    const now = Date.now();
    // Insertion order is expiry order (one fixed window), so expired ids are at the front.
    for (const [id, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(id);
    }
    return this.seen.has(msgId);
  }

  /** Discard "new": at the bound the publish is refused and what is stored stays. */
  private fullBound(subject: string, data: Uint8Array): "messages" | "bytes" | undefined {
    const { maxMessages, maxBytes } = this.spec;
    if (maxMessages !== undefined && this.dispatcher.size() + 1 > maxMessages) return "messages";
    if (maxBytes !== undefined && this.dispatcher.bytes() + entrySize(subject, data) > maxBytes) return "bytes";
    return undefined;
  }

  consume(handler: (msg: WorkMessage) => Promise<void>, opts?: ConsumeOptions): Promise<Consumer> {
    const concurrency = checkConcurrency(opts?.concurrency);
    // Like JetStream, ack wait belongs to the one shared durable consumer: the latest wins.
    this.dispatcher.ackWaitMs = checkAckWait(opts?.ackWaitMs);
    const consumer = this.dispatcher.addConsumer(concurrency, async (msg) => {
      try {
        await handler(msg);
      } catch {
        msg.nak(HANDLER_ERROR_NAK_MS);
      }
    });
    return Promise.resolve(consumer);
  }

  /** In process a partition hands over one message at a time (the dispatcher keeps its order). */
  consumeBatches(handler: (batch: WorkMessage[]) => Promise<void>, opts?: ConsumeOptions): Promise<Consumer> {
    return this.consume(async (msg) => {
      let settled = false;
      const held: WorkMessage = {
        subject: msg.subject,
        data: msg.data,
        deliveryCount: msg.deliveryCount,
        ack: () => ((settled = true), msg.ack()),
        nak: (delayMs) => ((settled = true), msg.nak(delayMs)),
        working: () => msg.working(),
      };
      await handler([held]);
      if (!settled) msg.nak(HANDLER_ERROR_NAK_MS);
    }, opts);
  }

  pending(): Promise<number> {
    return Promise.resolve(this.dispatcher.size());
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
