// Delivery state of one in-process work queue: ready messages in order (redeliveries first, as
// JetStream does), in-flight ones with an ack-wait timer, and the consumers with free slots.
import type { Consumer, WorkMessage } from "./types.ts";
import { DEFAULT_ACK_WAIT_MS } from "./work-defaults.ts";

export interface Entry {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  /** Ordered partition (WorkQueueSpec.partitions): one entry of it in flight at a time. */
  readonly partition: number | undefined;
  deliveries: number;
  /** Identifies the current delivery: acks and naks of an older delivery are stale. */
  token: number;
  timer: NodeJS.Timeout | undefined;
}

interface Slot {
  readonly concurrency: number;
  readonly run: (msg: WorkMessage) => Promise<void>;
  readonly running: Set<Promise<void>>;
  stopped: boolean;
}

/** What one stored message counts against maxBytes in process. */
export function entrySize(subject: string, data: Uint8Array): number {
  return subject.length + data.length;
}

export class MemoryDispatcher {
  ackWaitMs = DEFAULT_ACK_WAIT_MS;
  private readonly stored = new Map<number, Entry>();
  private readonly redeliver: Entry[] = [];
  private readonly fresh: Entry[] = [];
  private readonly slots: Slot[] = [];
  private next = 0;
  private tokens = 0;
  /** Partitions with an entry in flight (delivered or nak'ed, not yet acked). */
  private readonly busy = new Set<number>();
  private scheduled = false;
  /** Subject and payload bytes of the stored entries (the in-process queue's maxBytes measure). */
  private storedBytes = 0;

  size(): number {
    return this.stored.size;
  }

  bytes(): number {
    return this.storedBytes;
  }

  add(entry: Entry): void {
    this.stored.set(entry.seq, entry);
    this.storedBytes += entrySize(entry.subject, entry.data);
    this.fresh.push(entry);
    this.schedule();
  }

  addConsumer(concurrency: number, run: (msg: WorkMessage) => Promise<void>): Consumer {
    const slot: Slot = { concurrency, run, running: new Set(), stopped: false };
    this.slots.push(slot);
    this.schedule();
    return {
      stop: async () => {
        slot.stopped = true;
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        await Promise.all(slot.running);
      },
    };
  }

  async close(): Promise<void> {
    const running = this.slots.flatMap((s) => [...s.running]);
    for (const s of this.slots) s.stopped = true;
    this.slots.length = 0;
    for (const e of this.stored.values()) clearTimeout(e.timer);
    await Promise.all(running);
  }

  /** Delivery is never synchronous with publish, ack or nak: it runs on a microtask. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (;;) {
      const slot = this.freeSlot();
      if (!slot) return;
      const entry = this.take(this.redeliver) ?? this.take(this.fresh);
      if (!entry) return;
      this.deliver(entry, slot);
    }
  }

  /** The first stored entry of the list that may go now (its partition is not busy); drops acked ones. */
  private take(list: Entry[]): Entry | undefined {
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!;
      if (!this.stored.has(entry.seq)) {
        list.splice(i--, 1);
        continue;
      }
      // A redelivery holds its partition already; a fresh entry waits for a free partition.
      const mine = entry.partition !== undefined && entry.deliveries > 0;
      if (entry.partition !== undefined && this.busy.has(entry.partition) && !mine) continue;
      list.splice(i, 1);
      return entry;
    }
    return undefined;
  }

  /** Round-robin over consumers with room, so two workers share the load. */
  private freeSlot(): Slot | undefined {
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[(this.next + i) % this.slots.length]!;
      if (!slot.stopped && slot.running.size < slot.concurrency) {
        this.next = (this.next + i + 1) % this.slots.length;
        return slot;
      }
    }
    return undefined;
  }

  private deliver(entry: Entry, slot: Slot): void {
    if (entry.partition !== undefined) this.busy.add(entry.partition);
    entry.deliveries++;
    const token = ++this.tokens;
    entry.token = token;
    this.arm(entry, token);
    const msg = this.message(entry, token);
    const done = slot.run(msg).finally(() => {
      slot.running.delete(done);
      this.schedule();
    });
    slot.running.add(done);
  }

  private arm(entry: Entry, token: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.requeue(entry, token), this.ackWaitMs);
    entry.timer.unref();
  }

  private requeue(entry: Entry, token: number): void {
    if (entry.token !== token || !this.stored.has(entry.seq)) return;
    entry.token = 0;
    entry.timer = undefined;
    this.redeliver.push(entry);
    this.schedule();
  }

  private message(entry: Entry, token: number): WorkMessage {
    const current = () => entry.token === token && this.stored.has(entry.seq);
    return {
      subject: entry.subject,
      data: entry.data,
      deliveryCount: entry.deliveries,
      ack: () => {
        if (!current()) return;
        clearTimeout(entry.timer);
        this.stored.delete(entry.seq);
        this.storedBytes -= entrySize(entry.subject, entry.data);
        if (entry.partition !== undefined) this.busy.delete(entry.partition);
        this.schedule();
      },
      nak: (delayMs = 0) => {
        if (!current()) return;
        clearTimeout(entry.timer);
        entry.token = 0;
        if (delayMs <= 0) return this.requeue(entry, 0);
        entry.timer = setTimeout(() => this.requeue(entry, 0), delayMs);
        entry.timer.unref();
      },
      working: () => {
        if (current()) this.arm(entry, token);
      },
    };
  }
}
