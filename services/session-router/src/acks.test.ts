import { describe, it, expect } from "vitest";
import { createMemoryBus, decode, subjects, type ToGateway } from "@xmppd/bus";
import { createConnectionTable } from "./connections.ts";
import { createAckBatcher } from "./acks.ts";

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
});
