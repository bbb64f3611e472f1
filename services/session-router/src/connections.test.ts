import { describe, it, expect } from "vitest";
import { createConnectionTable, type RetryPolicy } from "./connections.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nothing = async () => {};

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
    expect(table.enqueue(a, 1, job("a1", 30), mark, true)).toBe("taken");
    expect(table.enqueue(a, 2, async () => Promise.reject(new Error("boom")), mark)).toBe("taken");
    expect(table.enqueue(a, 3, job("a3", 1), mark)).toBe("taken");
    expect(table.enqueue(a, 2, job("dup", 1), mark)).toBe("duplicate");
    expect(table.enqueue(b, 1, job("b1", 1), mark, true)).toBe("taken");
    await table.idle();
    expect(log.indexOf("end b1")).toBeLessThan(log.indexOf("end a1"));
    expect(log.filter((l) => / a\d/.test(l))).toEqual(["start a1", "end a1", "start a3", "end a3"]);
    expect(done).toEqual(["1", "1", "2", "3"]);
    expect(errors).toHaveLength(1);
  });

  it("keeps no promise of its own for an idle connection, and runs work queued after idling in order", async () => {
    const table = createConnectionTable(() => {});
    const a = table.get("gw1", "a");
    const b = table.get("gw1", "b");
    const log: string[] = [];
    const job = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
    };
    table.enqueue(a, 1, job("a1", 5), () => {}, true);
    table.enqueue(a, 2, job("a2", 1), () => {});
    table.enqueue(b, 1, job("b1", 1), () => {}, true);
    await table.idle();
    // Every idle connection shares one settled chain (a chain per connection is about 80 B kept each).
    expect(a.chain).toBe(b.chain);
    table.enqueue(a, 3, job("a3", 5), () => {});
    table.enqueue(a, 4, job("a4", 1), () => {});
    expect(a.chain).not.toBe(b.chain);
    await table.idle();
    expect(a.chain).toBe(b.chain);
    expect(log).toEqual(["start a1", "start b1", "end b1", "end a1", "start a2", "end a2", "start a3", "end a3", "start a4", "end a4"]);
  });

  it("takes nothing past a gap, and nothing but an open on a connection it does not know", async () => {
    const table = createConnectionTable(() => {});
    const ran: number[] = [];
    const run = (n: number) => async () => void ran.push(n);
    const a = table.get("gw1", "a");
    expect(table.enqueue(a, 3, run(3), () => {})).toBe("gap");
    expect(table.enqueue(a, 1, run(1), () => {}, true)).toBe("taken");
    expect(table.enqueue(a, 3, run(3), () => {})).toBe("gap");
    expect(table.enqueue(a, 2, run(2), () => {})).toBe("taken");
    expect(table.enqueue(a, 3, run(3), () => {})).toBe("taken");
    await table.idle();
    expect(ran).toEqual([1, 2, 3]);
    expect(a.lastSeq).toBe(3);
  });

  it("restarts the sequence at an open's seq (the gateway's 'acknowledged through' after a failover)", async () => {
    const table = createConnectionTable(() => {});
    const a = table.get("gw1", "a");
    expect(table.enqueue(a, 1, nothing, () => {}, true)).toBe("taken");
    // Another router acknowledged 2..9 meanwhile; the connection comes back with an open at 9.
    expect(table.enqueue(a, 9, nothing, () => {}, true)).toBe("taken");
    expect(table.enqueue(a, 10, nothing, () => {})).toBe("taken");
    expect(table.enqueue(a, 10, nothing, () => {}, true)).toBe("duplicate");
  });

  it("retries work that failed transiently, in place and unacknowledged, holding the connection's later envelopes", async () => {
    const retries: number[] = [];
    const policy: RetryPolicy = { isTransient: (e) => (e as Error).message === "away", isStopping: () => false, firstMs: 1, maxMs: 4, onRetry: (_e, _s, ms) => retries.push(ms) };
    const errors: unknown[] = [];
    const table = createConnectionTable((err) => errors.push(err), policy);
    const a = table.get("gw1", "a");
    const done: number[] = [];
    const log: string[] = [];
    let failures = 4;
    table.enqueue(a, 1, async () => {
      log.push("try 1");
      if (failures-- > 0) throw new Error("away");
    }, (_s, seq) => done.push(seq), true);
    table.enqueue(a, 2, async () => void log.push("run 2"), (_s, seq) => done.push(seq));
    await table.idle();
    expect(log).toEqual(["try 1", "try 1", "try 1", "try 1", "try 1", "run 2"]);
    expect(retries).toEqual([1, 2, 4, 4]);
    expect(done).toEqual([1, 2]);
    expect(errors).toEqual([]);
  });

  it("gives a transiently failing envelope up unacknowledged when stopping, and runs none after it", async () => {
    let stopping = false;
    const table = createConnectionTable(() => {}, { isTransient: () => true, isStopping: () => stopping, firstMs: 5, maxMs: 5 });
    const a = table.get("gw1", "a");
    const done: number[] = [];
    const ran: number[] = [];
    table.enqueue(a, 1, async () => void ran.push(1), (_s, seq) => done.push(seq), true);
    table.enqueue(a, 2, async () => {
      ran.push(2);
      stopping = true;
      throw new Error("ECONNREFUSED");
    }, (_s, seq) => done.push(seq));
    table.enqueue(a, 3, async () => void ran.push(3), (_s, seq) => done.push(seq));
    await table.idle();
    expect(ran).toEqual([1, 2]);
    expect(done).toEqual([1]);
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
