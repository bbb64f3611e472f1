import { describe, it, expect } from "vitest";
import { createConnectionTable } from "./connections.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("connection table", () => {
  it("runs one connection's envelopes in order and others concurrently, and drops duplicates", async () => {
    const errors: unknown[] = [];
    const table = createConnectionTable((err) => errors.push(err));
    const log: string[] = [];
    const done: string[] = [];
    const a = table.get("gw1", "a");
    const b = table.get("gw1", "b");
    const job = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
    };
    const mark = (_s: unknown, seq: number) => done.push(String(seq));
    expect(table.enqueue(a, 1, job("a1", 30), mark)).toBe(true);
    expect(table.enqueue(a, 2, async () => Promise.reject(new Error("boom")), mark)).toBe(true);
    expect(table.enqueue(a, 3, job("a3", 1), mark)).toBe(true);
    expect(table.enqueue(a, 2, job("dup", 1), mark)).toBe(false);
    expect(table.enqueue(b, 1, job("b1", 1), mark)).toBe(true);
    await table.idle();
    expect(log.indexOf("end b1")).toBeLessThan(log.indexOf("end a1"));
    expect(log.filter((l) => / a\d/.test(l))).toEqual(["start a1", "end a1", "start a3", "end a3"]);
    expect(done).toEqual(["1", "1", "2", "3"]);
    expect(errors).toHaveLength(1);
  });

  it("forgets one gateway's connections", () => {
    const table = createConnectionTable(() => {});
    table.get("gw1", "a");
    table.get("gw1", "b");
    table.get("gw2", "a");
    expect(table.forgetGateway("gw1")).toBe(2);
    expect(table.size()).toBe(1);
  });
});
