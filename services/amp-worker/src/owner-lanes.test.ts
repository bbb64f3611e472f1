import { describe, expect, it } from "vitest";
import type { AmpWork } from "@xmppd/bus";
import type { HandlerTable, WorkContext } from "./context.ts";
import { createLanes, ownerOf, perOwner } from "./owner-lanes.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("owner lanes", () => {
  it("runs one key's work in call order and different keys side by side", async () => {
    const lanes = createLanes();
    const log: string[] = [];
    const job = (key: string, n: number, ms: number) => lanes(key, async () => {
      log.push(`start ${key}${n}`);
      await tick(ms);
      log.push(`end ${key}${n}`);
      return n;
    });
    // a1 is slow and a2 fast: a2 still waits for a1; b1 does not.
    const results = await Promise.all([job("a", 1, 30), job("a", 2, 1), job("b", 1, 1)]);
    expect(results).toEqual([1, 2, 1]);
    expect(log.indexOf("start a2")).toBeGreaterThan(log.indexOf("end a1"));
    expect(log.indexOf("end b1")).toBeLessThan(log.indexOf("end a1"));
  });

  it("goes on after a failure, which only its own caller sees", async () => {
    const lanes = createLanes();
    const failed = lanes("a", async () => Promise.reject(new Error("boom")));
    const next = lanes("a", async () => "ok");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ok");
  });

  it("puts message and flush work for one account in the same lane", async () => {
    const order: string[] = [];
    const slow = async (label: string, ms: number) => (await tick(ms), order.push(label), label);
    const handlers: HandlerTable = {
      message: (w) => slow(`message ${w.key}`, w.key === "1" ? 30 : 1),
      flush: (w) => slow(`flush ${w.jid}`, 1),
    };
    const wrapped = perOwner(handlers);
    const ctx = {} as WorkContext;
    const msg = (key: string, to: string): Extract<AmpWork, { t: "message" }> => ({ t: "message", key, order: key, to, from: "a@x/r", xml: "<message/>", acceptedAt: 0 });
    await Promise.all([
      wrapped.message(msg("1", "bob@x"), ctx),
      wrapped.flush({ t: "flush", jid: "bob@x/phone", gw: "g", conn: "c" }, ctx),
      wrapped.message(msg("2", "carol@x/desk"), ctx),
    ]);
    expect(order).toEqual(["message 2", "message 1", "flush bob@x/phone"]);
    expect(ownerOf(msg("3", "carol@x/desk"))).toBe("carol@x");
  });
});
