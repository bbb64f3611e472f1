import { describe, expect, it } from "vitest";
import { InboundCount, OutboundQueue } from "./sm-counters.ts";

describe("InboundCount", () => {
  it("counts a stanza handled only once the router acknowledged its envelope", () => {
    const c = new InboundCount();
    expect(c.next(3)).toBe(1);
    expect(c.next(4)).toBe(2);
    expect(c.next(4)).toBe(3); // handled at the gateway after envelope 4
    c.acked(3);
    expect(c.handled).toBe(1);
    c.acked(5);
    expect(c.handled).toBe(3);
  });

  it("counts a stanza handled at once when everything before it was already acknowledged", () => {
    const c = new InboundCount();
    c.acked(7);
    c.next(7);
    expect(c.handled).toBe(1);
  });

  it("continues from a resumed count", () => {
    const c = new InboundCount(2 ** 32 - 1);
    expect(c.next(1)).toBe(2 ** 32);
    c.acked(1);
    expect(c.handled).toBe(2 ** 32);
  });
});

describe("OutboundQueue", () => {
  it("writes numbered deliveries in order, whatever order they come in, and drops resends", () => {
    const q = new OutboundQueue(10, 10);
    expect(q.take(12, "<b/>")).toEqual([]);
    expect(q.waiting()).toBe(1);
    expect(q.take(11, "<a/>")).toEqual([{ seq: 11, xml: "<a/>" }, { seq: 12, xml: "<b/>" }]);
    expect(q.take(11, "<a/>")).toEqual([]);
    expect(q.take(13, "<c/>")).toEqual([{ seq: 13, xml: "<c/>" }]);
    expect(q.unacked()).toEqual({ stanzas: 3, bytes: 12 });
  });

  it("trims what the client acknowledges and refuses acks beyond what was written", () => {
    const q = new OutboundQueue();
    q.take(1, "<a/>");
    q.take(2, "<bb/>");
    q.wroteNext(10);
    expect(q.ack(2)).toBe(true);
    expect(q.unacked()).toEqual({ stanzas: 1, bytes: 10 });
    expect(q.ack(1)).toBe(true); // an older ack changes nothing
    expect(q.unacked()).toEqual({ stanzas: 1, bytes: 10 });
    expect(q.ack(4)).toBe(false);
    expect(q.ack(3)).toBe(true);
    expect(q.unacked()).toEqual({ stanzas: 0, bytes: 0 });
  });
});

describe("OutboundQueue.held (re-registration, docs/redis-loss.md)", () => {
  it("keeps the written, unacknowledged stanzas numbered from the client's count", () => {
    const q = new OutboundQueue(4, 4);
    q.take(6, "<m6/>");
    expect(q.held()).toEqual([]);
    q.take(5, "<m5/>");
    q.take(7, "<m7/>");
    expect(q.held()).toEqual([{ seq: 5, xml: "<m5/>" }, { seq: 6, xml: "<m6/>" }, { seq: 7, xml: "<m7/>" }]);
    q.ack(6);
    expect(q.held()).toEqual([{ seq: 7, xml: "<m7/>" }]);
    expect(q.unacked()).toEqual({ stanzas: 1, bytes: 5 });
  });

  it("has nothing to give back once a stanza was counted without a number", () => {
    const q = new OutboundQueue();
    q.wroteNext(10);
    expect(q.held()).toBeNull();
    q.ack(1);
    expect(q.held()).toEqual([]);
  });
});
