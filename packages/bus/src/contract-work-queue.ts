// Work-queue half of the bus contract: durability, ack/nak/redelivery, de-duplication,
// concurrency and sharing between workers.
import { describe, it, expect } from "vitest";
import type { WorkMessage } from "./types.ts";
import { ContractContext, waitFor, sleep, bytes, num } from "./contract-helpers.ts";
import { subjects } from "./subjects.ts";

export function workQueueContract(context: () => ContractContext): void {
  describe("work queue", () => {
    const open = async () => {
      const ctx = context();
      const spec = ctx.spec();
      const q = await ctx.bus.workQueue(spec);
      return { ctx, q, subject: `${spec.subjectPrefix}.message`, spec };
    };

    it("delivers a published message once; ack removes it", async () => {
      const { ctx, q, subject } = await open();
      await q.publish(subject, bytes(1));
      expect(await q.pending()).toBe(1);
      const got: WorkMessage[] = [];
      await ctx.consume(q, async (m) => {
        got.push(m);
        m.ack();
      });
      await waitFor(() => got.length === 1, "the message");
      expect(got[0]!.subject).toBe(subject);
      expect(num(got[0]!.data)).toBe(1);
      expect(got[0]!.deliveryCount).toBe(1);
      await waitFor(async () => (await q.pending()) === 0, "pending 0 after ack");
    });

    it("rejects a publish on a subject outside the queue", async () => {
      const { q, spec } = await open();
      await expect(q.publish(`${spec.subjectPrefix}x.message`, bytes(1))).rejects.toThrow(/no work queue stream/);
    });

    it("redelivers a nak'ed message with deliveryCount 2", async () => {
      const { ctx, q, subject } = await open();
      await q.publish(subject, bytes(1));
      const counts: number[] = [];
      await ctx.consume(q, async (m) => {
        counts.push(m.deliveryCount);
        if (m.deliveryCount === 1) m.nak();
        else m.ack();
      });
      await waitFor(() => counts.length === 2, "the redelivery");
      expect(counts).toEqual([1, 2]);
      await waitFor(async () => (await q.pending()) === 0, "pending 0");
    });

    it("naks and redelivers when the handler throws", async () => {
      const { ctx, q, subject } = await open();
      await q.publish(subject, bytes(1));
      const counts: number[] = [];
      await ctx.consume(q, async (m) => {
        counts.push(m.deliveryCount);
        if (m.deliveryCount === 1) throw new Error("handler bug");
        m.ack();
      });
      await waitFor(() => counts.length === 2, "the redelivery after a throw");
      expect(counts).toEqual([1, 2]);
    });

    it("redelivers an unacked message to another worker after ack wait", async () => {
      const { ctx, q, subject, spec } = await open();
      await q.publish(subject, bytes(5));
      let seen = 0;
      // The crashed worker: takes the message, never acks, then goes away.
      const crashed = await ctx.consume(q, async () => void seen++, { ackWaitMs: 1000 });
      await waitFor(() => seen === 1, "first delivery");
      await crashed.stop();
      const other = await ctx.other();
      const q2 = await other.workQueue(spec);
      const got: WorkMessage[] = [];
      const started = Date.now();
      await ctx.consume(q2, async (m) => void (got.push(m), m.ack()), { ackWaitMs: 1000 });
      await waitFor(() => got.length === 1, "redelivery to the second worker");
      expect(got[0]!.deliveryCount).toBe(2);
      expect(num(got[0]!.data)).toBe(5);
      expect(Date.now() - started).toBeLessThan(4000);
      await waitFor(async () => (await q.pending()) === 0, "pending 0");
    });

    it("working() extends the ack deadline", async () => {
      const { ctx, q, subject } = await open();
      await q.publish(subject, bytes(1));
      const counts: number[] = [];
      await ctx.consume(q, async (m) => {
        counts.push(m.deliveryCount);
        for (let i = 0; i < 4; i++) {
          await sleep(400);
          m.working();
        }
        m.ack();
      }, { ackWaitMs: 1000 });
      await waitFor(async () => (await q.pending()) === 0, "ack after 1.6 s of work");
      expect(counts).toEqual([1]);
    });

    it("de-duplicates publishes with the same msgId", async () => {
      const { ctx, q, subject } = await open();
      await q.publish(subject, bytes(1), { msgId: "m1" });
      await q.publish(subject, bytes(1), { msgId: "m1" });
      await q.publish(subject, bytes(2), { msgId: "m2" });
      expect(await q.pending()).toBe(2);
      const got: number[] = [];
      await ctx.consume(q, async (m) => void (got.push(num(m.data)), m.ack()));
      await waitFor(() => got.length === 2, "two messages");
      await sleep(100);
      expect(got).toEqual([1, 2]);
    });

    it("never runs more handlers at once than concurrency", async () => {
      const { ctx, q, subject } = await open();
      for (let i = 0; i < 12; i++) await q.publish(subject, bytes(i));
      let active = 0;
      let peak = 0;
      const done: number[] = [];
      await ctx.consume(q, async (m) => {
        peak = Math.max(peak, ++active);
        await sleep(30);
        active--;
        done.push(num(m.data));
        m.ack();
      }, { concurrency: 3 });
      await waitFor(() => done.length === 12, "12 handled");
      expect(peak).toBe(3);
      expect(done.sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    });

    it("counts stored and in-flight messages in pending()", async () => {
      const { ctx, q, subject } = await open();
      for (let i = 0; i < 3; i++) await q.publish(subject, bytes(i));
      expect(await q.pending()).toBe(3);
      const held: WorkMessage[] = [];
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      await ctx.consume(q, async (m) => {
        held.push(m);
        await gate;
        m.ack();
      }, { concurrency: 1 });
      await waitFor(() => held.length === 1, "one in flight");
      expect(await q.pending()).toBe(3);
      release();
      await waitFor(async () => (await q.pending()) === 0, "pending 0 after the acks");
      expect(held.length).toBe(3);
    });

    it("shares the work between two workers, each message handled once", async () => {
      const { ctx, q, subject, spec } = await open();
      const q2 = await (await ctx.other()).workQueue(spec);
      for (let i = 0; i < 40; i++) await q.publish(subject, bytes(i), { msgId: `m${i}` });
      const byWorker: number[][] = [[], []];
      const worker = (w: number) => async (m: WorkMessage) => {
        await sleep(5);
        byWorker[w]!.push(num(m.data));
        m.ack();
      };
      await ctx.consume(q, worker(0), { concurrency: 4 });
      await ctx.consume(q2, worker(1), { concurrency: 4 });
      await waitFor(() => byWorker[0]!.length + byWorker[1]!.length >= 40, "40 handled");
      await sleep(100);
      expect([...byWorker[0]!, ...byWorker[1]!].sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
      expect(byWorker[0]!.length).toBeGreaterThan(0);
      expect(byWorker[1]!.length).toBeGreaterThan(0);
      await waitFor(async () => (await q.pending()) === 0, "pending 0");
    });

    it("keeps each partition in publish order, one message at a time, across two workers", async () => {
      const ctx = context();
      const base = ctx.spec();
      const spec = { ...base, partitions: subjects(base.subjectPrefix.split(".")[0]).ampPartitions(3) };
      const q = await ctx.bus.workQueue(spec);
      const q2 = await (await ctx.other()).workQueue(spec);
      const s = subjects(base.subjectPrefix.split(".")[0]);
      for (let i = 0; i < 30; i++) await q.publish(s.ampWork("message", i % 3), bytes(i));
      const order: number[][] = [[], [], []];
      const active = [0, 0, 0];
      let overlap = false;
      let failedOnce = false;
      const worker = async (m: WorkMessage) => {
        const n = num(m.data);
        const p = n % 3;
        if (++active[p]! > 1) overlap = true;
        await sleep(2 + (n % 4) * 3);
        active[p]!--;
        // A failure is retried before anything after it in its partition.
        if (n === 7 && !failedOnce) {
          failedOnce = true;
          return m.nak(50);
        }
        order[p]!.push(n);
        m.ack();
      };
      await ctx.consume(q, worker, { concurrency: 8 });
      await ctx.consume(q2, worker, { concurrency: 8 });
      await waitFor(() => order.flat().length === 30, "30 handled", 15_000);
      expect(overlap).toBe(false);
      for (let p = 0; p < 3; p++) expect(order[p]).toEqual([...Array(10).keys()].map((i) => i * 3 + p));
      await waitFor(async () => (await q.pending()) === 0, "pending 0");
    });

    it("a worker stopped mid-message finishes it, and its partition's next message goes to another worker at once", async () => {
      const ctx = context();
      const base = ctx.spec();
      const s = subjects(base.subjectPrefix.split(".")[0]);
      const spec = { ...base, partitions: s.ampPartitions(1) };
      const q = await ctx.bus.workQueue(spec);
      const q2 = await (await ctx.other()).workQueue(spec);
      for (let i = 0; i < 3; i++) await q.publish(s.ampWork("message", 0), bytes(i));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const first: number[] = [];
      const leaving = await ctx.consume(q, async (m) => {
        first.push(num(m.data));
        await gate;
        m.ack();
      }, { ackWaitMs: 30_000 });
      await waitFor(() => first.length === 1, "the first message in hand");
      const second: number[] = [];
      await ctx.consume(q2, async (m) => void (second.push(num(m.data)), m.ack()), { ackWaitMs: 30_000 });
      const stopped = leaving.stop();
      release();
      await stopped;
      // Long before the 30 s ack wait: nothing was sent to the stopped worker's pull.
      await waitFor(() => second.length === 2, "the rest at the other worker", 5000);
      expect({ first, second }).toEqual({ first: [0], second: [1, 2] });
    });

    it("opens one queue from several clients at the same time", async () => {
      const ctx = context();
      const spec = ctx.spec();
      const clients = [ctx.bus, await ctx.other(), await ctx.other()];
      const queues = await Promise.all(clients.map((b) => b.workQueue(spec)));
      await queues[0]!.publish(`${spec.subjectPrefix}.flush`, bytes(1));
      expect(await queues[2]!.pending()).toBe(1);
    });
  });
}
