import { describe, it, expect } from "vitest";
import { runBusContract } from "./contract.ts";
import { createNatsBus, type NatsBus } from "./nats-bus.ts";

// Real NATS with JetStream on loopback. Each test's work queue has a random cluster prefix and
// its stream is deleted afterwards (dropWorkQueue).
const url = "nats://127.0.0.1:4222";

runBusContract("nats", async () => {
  const opened: NatsBus[] = [];
  const open = async () => {
    const b = await createNatsBus({ url, name: `bus-contract-${opened.length}` });
    opened.push(b);
    return b;
  };
  const bus = await open();
  return {
    bus,
    other: open,
    dropWorkQueue: (spec) => bus.deleteWorkQueue(spec),
    cleanup: async () => {
      await Promise.all(opened.map((b) => b.close()));
    },
  };
});

describe("nats bus", () => {
  it("reports a final close it did not start, and not its own close()", async () => {
    const a = await createNatsBus({ url, name: "bus-closed-a" });
    const calls: string[] = [];
    a.onClosed(() => calls.push("a"));
    await a.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([]);
  });

  it("fails fast on an unreachable server", async () => {
    await expect(createNatsBus({ url: "nats://127.0.0.1:1", name: "bus-nowhere" })).rejects.toThrow();
  });
});
