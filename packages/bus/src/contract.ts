// The bus contract: every adapter (NATS, in-process) must pass these same tests.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { ContractContext, waitFor, bytes, num, type BusFactory } from "./contract-helpers.ts";
import { workQueueContract } from "./contract-work-queue.ts";
import { workQueueBoundsContract } from "./contract-work-queue-bounds.ts";
import { PayloadTooLargeError } from "./errors.ts";

export type { BusFixture, BusFactory } from "./contract-helpers.ts";

export function runBusContract(label: string, factory: BusFactory): void {
  describe(`bus contract: ${label}`, () => {
    let ctx: ContractContext;
    beforeEach(async () => {
      ctx = await ContractContext.open(factory);
    });
    afterEach(async () => {
      await ctx.close();
    });
    const prefix = () => `p${Math.random().toString(36).slice(2, 10)}`;

    it("delivers in publish order, never inside publish()", async () => {
      const p = prefix();
      const got: number[] = [];
      ctx.bus.subscribe(`${p}.a`, (d) => got.push(num(d)));
      await ctx.bus.flush();
      for (let i = 0; i < 50; i++) ctx.bus.publish(`${p}.a`, bytes(i));
      expect(got).toEqual([]);
      await waitFor(() => got.length === 50, "50 messages");
      expect(got).toEqual([...Array(50).keys()]);
    });

    it("matches * and > wildcards", async () => {
      const p = prefix();
      const star: string[] = [];
      const tail: string[] = [];
      ctx.bus.subscribe(`${p}.*.x`, (_d, s) => star.push(s));
      ctx.bus.subscribe(`${p}.>`, (_d, s) => tail.push(s));
      await ctx.bus.flush();
      for (const s of [`${p}.a.x`, `${p}.b.x`, `${p}.a.y`, `${p}.a.x.z`, `${p}`]) ctx.bus.publish(s, bytes(0));
      await waitFor(() => tail.length === 4, "4 messages on >");
      await ctx.bus.flush();
      expect(star).toEqual([`${p}.a.x`, `${p}.b.x`]);
      expect(tail).toEqual([`${p}.a.x`, `${p}.b.x`, `${p}.a.y`, `${p}.a.x.z`]);
    });

    it("gives each message to exactly one queue-group member, and to every plain subscriber", async () => {
      const p = prefix();
      const other = await ctx.other();
      const a: number[] = [];
      const b: number[] = [];
      const plain: number[] = [];
      ctx.bus.subscribe(`${p}.work`, (d) => a.push(num(d)), { queue: "g" });
      other.subscribe(`${p}.work`, (d) => b.push(num(d)), { queue: "g" });
      ctx.bus.subscribe(`${p}.work`, (d) => plain.push(num(d)));
      await Promise.all([ctx.bus.flush(), other.flush()]);
      for (let i = 0; i < 40; i++) ctx.bus.publish(`${p}.work`, bytes(i));
      await waitFor(() => a.length + b.length === 40 && plain.length === 40, "40 deliveries");
      expect([...a, ...b].sort((x, y) => x - y)).toEqual([...Array(40).keys()]);
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
    });

    it("stops delivering after unsubscribe", async () => {
      const p = prefix();
      const got: number[] = [];
      const sub = ctx.bus.subscribe(`${p}.u`, (d) => got.push(num(d)));
      const probe: number[] = [];
      ctx.bus.subscribe(`${p}.u`, (d) => probe.push(num(d)));
      await ctx.bus.flush();
      ctx.bus.publish(`${p}.u`, bytes(1));
      await waitFor(() => got.length === 1, "first message");
      sub.unsubscribe();
      await ctx.bus.flush();
      ctx.bus.publish(`${p}.u`, bytes(2));
      await waitFor(() => probe.length === 2, "second message on the probe");
      expect(got).toEqual([1]);
    });

    it("flush() resolves once earlier publishes reached the bus", async () => {
      const p = prefix();
      const other = await ctx.other();
      const got: number[] = [];
      other.subscribe(`${p}.f`, (d) => got.push(num(d)));
      await other.flush();
      ctx.bus.publish(`${p}.f`, bytes(7));
      await ctx.bus.flush();
      await waitFor(() => got.length === 1, "the flushed message");
      expect(got).toEqual([7]);
    });

    it("rejects a payload larger than max_payload with a clear error", async () => {
      const max = ctx.bus.maxPayload?.();
      expect(max).toBeGreaterThan(0);
      const big = new Uint8Array(max! + 1);
      expect(() => ctx.bus.publish(`${prefix()}.big`, big)).toThrow(PayloadTooLargeError);
      expect(() => ctx.bus.publish(`${prefix()}.big`, big)).toThrow(/exceeds max_payload/);
      const spec = ctx.spec();
      const q = await ctx.bus.workQueue(spec);
      await expect(q.publish(`${spec.subjectPrefix}.message`, big)).rejects.toThrow(PayloadTooLargeError);
      ctx.bus.publish(`${prefix()}.ok`, new Uint8Array(max! - 1024));
      await ctx.bus.flush();
    });

    workQueueContract(() => ctx);
    workQueueBoundsContract(() => ctx);
  });
}
