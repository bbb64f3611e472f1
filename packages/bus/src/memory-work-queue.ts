// In-process durable-queue semantics matching the JetStream work queue: each message goes to one
// consumer; unacked messages come back after ack wait; nak returns them (after a delay); msgId
// de-duplicates within the window. "Durable" here means "until the process exits".
import type { ConsumeOptions, Consumer, WorkQueue, WorkQueueSpec } from "./types.ts";
import type { WorkMessage } from "./types.ts";
import { BusError, PayloadTooLargeError } from "./errors.ts";
import { DUPLICATE_WINDOW_MS, HANDLER_ERROR_NAK_MS, checkAckWait, checkConcurrency } from "./work-defaults.ts";
import { MemoryDispatcher, type Entry } from "./memory-dispatcher.ts";
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
    private readonly spec: WorkQueueSpec,
    private readonly maxPayload: number,
  ) {
    this.partitions = (spec.partitions ?? []).map((p) => compilePattern(p.filter));
  }

  sameSpec(spec: WorkQueueSpec): this {
    const filters = (q: WorkQueueSpec) => JSON.stringify(q.partitions ?? []);
    if (spec.subjectPrefix !== this.spec.subjectPrefix || spec.durable !== this.spec.durable || filters(spec) !== filters(this.spec)) {
      throw new BusError(`work queue stream ${spec.stream} already exists with another subject prefix, durable or partitions`);
    }
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
    if (opts?.msgId !== undefined && this.isDuplicate(opts.msgId)) return Promise.resolve();
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
    if (this.seen.has(msgId)) return true;
    this.seen.set(msgId, now + DUPLICATE_WINDOW_MS);
    return false;
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

  pending(): Promise<number> {
    return Promise.resolve(this.dispatcher.size());
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
