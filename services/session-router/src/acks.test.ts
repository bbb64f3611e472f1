import { describe, it, expect } from "vitest";
import { createMemoryBus, decode, subjects, type ToGateway } from "@xmppd/bus";
import { createConnectionTable } from "./connections.ts";
import { ACKS_PER_MESSAGE, createAckBatcher } from "./acks.ts";

describe("ack batcher", () => {
  it("sends one ack per connection with the highest seq done, after a short delay", async () => {
    const bus = createMemoryBus();
    const s = subjects("acktest");
    const got: ToGateway[] = [];
    bus.subscribe(s.gatewayInbox("gw1"), (d) => got.push(decode<ToGateway>(d)));
    const table = createConnectionTable(() => {});
    const a = table.get("gw1", "a");
    const b = table.get("gw1", "b");
    const acks = createAckBatcher(bus, s, 5);
    acks.done(a, 1);
    acks.done(a, 2);
    acks.done(b, 7);
    expect(got).toEqual([]);
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual([
      { t: "ack", conn: "a", seq: 2 },
      { t: "ack", conn: "b", seq: 7 },
    ]);
    acks.reack(a);
    await acks.flush();
    await new Promise((r) => setTimeout(r, 5));
    expect(got.at(-1)).toEqual({ t: "ack", conn: "a", seq: 2 });
    await bus.close();
  });

  it("sends one AckBatch per gateway that reads them, single acks to the others", async () => {
    const bus = createMemoryBus();
    const s = subjects("acktest");
    const got: Record<string, unknown[]> = { gw1: [], gw2: [] };
    for (const gw of ["gw1", "gw2"]) bus.subscribe(s.gatewayInbox(gw), (d) => got[gw]!.push(decode(d)));
    const table = createConnectionTable(() => {});
    const acks = createAckBatcher(bus, s, 5, () => {}, undefined, (gw) => gw === "gw1");
    acks.done(table.get("gw1", "a"), 2);
    acks.done(table.get("gw1", "b"), 7);
    acks.done(table.get("gw2", "c"), 3);
    acks.done(table.get("gw2", "d"), 4);
    await acks.flush();
    await new Promise((r) => setTimeout(r, 5));
    expect(got.gw1).toEqual([{ t: "acks", acks: [["a", 2], ["b", 7]] }]);
    expect(got.gw2).toEqual([
      { t: "ack", conn: "c", seq: 3 },
      { t: "ack", conn: "d", seq: 4 },
    ]);
    await bus.close();
  });

  it("splits a gateway's acks over several AckBatch messages past ACKS_PER_MESSAGE", async () => {
    const bus = createMemoryBus();
    const s = subjects("acktest");
    const got: { t: string; acks: [string, number][] }[] = [];
    bus.subscribe(s.gatewayInbox("gw1"), (d) => got.push(decode(d)));
    const table = createConnectionTable(() => {});
    const acks = createAckBatcher(bus, s, 5, () => {}, undefined, () => true);
    for (let i = 0; i <= ACKS_PER_MESSAGE; i++) acks.done(table.get("gw1", `c${i}`), i);
    await acks.flush();
    await new Promise((r) => setTimeout(r, 5));
    expect(got.map((m) => m.acks.length)).toEqual([ACKS_PER_MESSAGE, 1]);
    expect(got.flatMap((m) => m.acks).map(([conn]) => conn)).toEqual(Array.from({ length: ACKS_PER_MESSAGE + 1 }, (_, i) => `c${i}`));
    await bus.close();
  });
});
