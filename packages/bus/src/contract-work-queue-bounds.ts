// Work-queue bounds half of the bus contract: at maxMessages / maxBytes a publish is refused with
// WorkQueueFullError and nothing stored is discarded (JetStream discard "new", never "old").
import { describe, it, expect } from "vitest";
import type { WorkMessage } from "./types.ts";
import { ContractContext, waitFor, bytes, num } from "./contract-helpers.ts";
import { WorkQueueFullError } from "./errors.ts";

export function workQueueBoundsContract(context: () => ContractContext): void {
  describe("work queue bounds", () => {
    it("refuses the publish past maxMessages, keeps what it stored, and takes work again once some is acked", async () => {
      const ctx = context();
      const spec = { ...ctx.spec(), maxMessages: 2 };
      const q = await ctx.bus.workQueue(spec);
      const subject = `${spec.subjectPrefix}.message`;
      await q.publish(subject, bytes(1), { msgId: "m1" });
      await q.publish(subject, bytes(2), { msgId: "m2" });
      const refused = await q.publish(subject, bytes(3), { msgId: "m3" }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkQueueFullError);
      expect(refused).toMatchObject({ name: "WorkQueueFullError", bound: "messages", subject });
      // A republish of stored work is still a harmless duplicate, not a refusal.
      await q.publish(subject, bytes(1), { msgId: "m1" });
      expect(await q.pending()).toBe(2);
      const got: number[] = [];
      await ctx.consume(q, async (m: WorkMessage) => void (got.push(num(m.data)), m.ack()));
      await waitFor(() => got.length === 2, "the two stored messages");
      expect(got).toEqual([1, 2]);
      await waitFor(async () => (await q.pending()) === 0, "pending 0");
      // The refused msgId was never recorded: its retry is stored now that there is room.
      await q.publish(subject, bytes(3), { msgId: "m3" });
      await waitFor(() => got.length === 3, "the retried message");
      expect(got).toEqual([1, 2, 3]);
    });

    it("refuses the publish past maxBytes", async () => {
      const ctx = context();
      // One 100-byte message fits in either adapter's measure (NATS adds subject and framing);
      // a second one of 200 bytes does not.
      const spec = { ...ctx.spec(), maxBytes: 300 };
      const q = await ctx.bus.workQueue(spec);
      const subject = `${spec.subjectPrefix}.message`;
      await q.publish(subject, new Uint8Array(100));
      const refused = await q.publish(subject, new Uint8Array(200)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkQueueFullError);
      expect(refused).toMatchObject({ bound: "bytes" });
      expect(await q.pending()).toBe(1);
    });

    it("bounds an existing queue opened again with a bound, when it holds at most half of it", async () => {
      const ctx = context();
      const spec = ctx.spec();
      const subject = `${spec.subjectPrefix}.message`;
      const unbounded = await ctx.bus.workQueue(spec);
      await unbounded.publish(subject, bytes(0));
      const bounded = await (await ctx.other()).workQueue({ ...spec, maxMessages: 2 });
      await bounded.publish(subject, bytes(1));
      await expect(unbounded.publish(subject, bytes(2))).rejects.toBeInstanceOf(WorkQueueFullError);
      expect(await bounded.pending()).toBe(2);
    });

    it("never lowers the bound of an existing queue below what it holds (JetStream would delete the oldest)", async () => {
      const ctx = context();
      const spec = ctx.spec();
      const subject = `${spec.subjectPrefix}.message`;
      const unbounded = await ctx.bus.workQueue(spec);
      for (let i = 0; i < 3; i++) await unbounded.publish(subject, bytes(i));
      const bounded = await (await ctx.other()).workQueue({ ...spec, maxMessages: 2 });
      // The old bound stays until the backlog has drained: every accepted message is still there.
      expect(await bounded.pending()).toBe(3);
      await bounded.publish(subject, bytes(3));
      const got: number[] = [];
      await ctx.consume(bounded, async (m: WorkMessage) => void (got.push(num(m.data)), m.ack()));
      await waitFor(() => got.length === 4, "all four messages");
      expect(got).toEqual([0, 1, 2, 3]);
    });
  });
}
