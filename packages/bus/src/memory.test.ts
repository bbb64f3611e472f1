import { describe, it, expect } from "vitest";
import { runBusContract } from "./contract.ts";
import { createMemoryBus } from "./memory-bus.ts";

runBusContract("in-process", async () => {
  const bus = createMemoryBus();
  return { bus, cleanup: () => bus.close() };
});

describe("in-process bus", () => {
  it("keeps delivering when a handler throws, and reports it", async () => {
    const errors: string[] = [];
    const bus = createMemoryBus({ onHandlerError: (_e, s) => errors.push(s) });
    const got: string[] = [];
    bus.subscribe("a.b", () => {
      throw new Error("bug");
    });
    bus.subscribe("a.b", (_d, s) => got.push(s));
    bus.publish("a.b", new Uint8Array(1));
    bus.publish("a.b", new Uint8Array(1));
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toEqual(["a.b", "a.b"]);
    expect(errors).toEqual(["a.b", "a.b"]);
    await bus.close();
  });

  it("honours a configured max payload", () => {
    const bus = createMemoryBus({ maxPayload: 10 });
    expect(bus.maxPayload?.()).toBe(10);
    expect(() => bus.publish("a", new Uint8Array(11))).toThrow(/11 bytes on a exceeds max_payload \(10 bytes\)/);
  });
});
