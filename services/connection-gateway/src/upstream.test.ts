import { describe, it, expect } from "vitest";
import { decode, subjects } from "@xmppd/bus";
import type { Bus, ToRouter } from "@xmppd/bus";
import { RouterPool } from "./router-pool.ts";
import { Upstream } from "./upstream.ts";

function setup(maxEnvelopes = 100, retransmitMs = 0) {
  let t = 0;
  const sent: Array<{ subject: string; env: ToRouter }> = [];
  const bus = { publish: (subject: string, data: Uint8Array) => sent.push({ subject, env: decode<ToRouter>(data) }) } as unknown as Bus;
  const s = subjects("up-test");
  let upstream: Upstream;
  const pool = new RouterPool(
    300,
    { onLive: () => upstream.routerLive(), onLeaving: (id, why) => upstream.routerLeaving(id, why) },
    () => t,
  );
  upstream = new Upstream({ bus, subjects: s, gatewayId: "gw-1", pool, maxEnvelopes, maxBytes: 10_000, lingerMs: 1000, retransmitMs, maxRetransmitMs: 4 * retransmitMs, now: () => t });
  const to = (router: string) => sent.filter((m) => m.subject === s.toRouter(router, "gw-1")).map((m) => `${m.env.t}:${m.env.seq}`);
  return { upstream, pool, sent, to, advance: (ms: number) => (t += ms) };
}

const open = { t: "open", domain: "localhost", ip: "127.0.0.1", secure: true } as const;
const stanza = (xml: string) => ({ t: "stanza", jid: "a@localhost/r", xml }) as const;

describe("Upstream", () => {
  it("buffers while no router is live and replays in order when one appears", () => {
    const { upstream, pool, to } = setup();
    upstream.send("c1", open);
    upstream.send("c1", stanza("<message/>"));
    expect(upstream.unackedTotal()).toBe(2);
    pool.beacon({ id: "r1", ts: 0 });
    expect(to("r1")).toEqual(["open:1", "stanza:2"]);
  });

  it("moves a dead router's connection: the open first, at the seq acknowledged so far, then the unacked envelopes", () => {
    const { upstream, pool, to, advance } = setup();
    pool.beacon({ id: "r1", ts: 0 });
    upstream.send("c1", open);
    upstream.send("c1", stanza("<message id='1'/>"));
    upstream.send("c1", stanza("<message id='2'/>"));
    upstream.ack("c1", 2);
    pool.beacon({ id: "r2", ts: 0 });
    advance(400);
    pool.beacon({ id: "r2", ts: 1 });
    pool.sweep();
    expect(upstream.routerOf("c1")).toBe("r2");
    expect(to("r2")).toEqual(["open:2", "stanza:3"]);
    upstream.send("c1", stanza("<message id='3'/>"));
    expect(to("r2")).toEqual(["open:2", "stanza:3", "stanza:4"]);
  });

  it("reports a full window and calls back once acks bring it down to half", () => {
    const { upstream, pool } = setup(4);
    pool.beacon({ id: "r1", ts: 0 });
    expect(upstream.send("c1", open)).toBe(true);
    expect(upstream.send("c1", stanza("<presence/>"))).toBe(true);
    expect(upstream.send("c1", stanza("<presence/>"))).toBe(true);
    // The fourth fills it: the reader should stop; a closed is taken all the same.
    expect(upstream.send("c1", stanza("<presence/>"))).toBe(false);
    expect(upstream.send("c1", { t: "closed", reason: "end" })).toBe(false);
    let room = 0;
    upstream.onRoom("c1", () => room++);
    upstream.ack("c1", 2);
    expect(room).toBe(0);
    upstream.ack("c1", 3);
    expect(room).toBe(1);
    upstream.ack("c1", 5);
    expect(room).toBe(1);
    expect(upstream.unackedTotal()).toBe(0);
  });

  it("resends on the router's request from the seq it names, the open first when that is not above what is acknowledged", () => {
    const { upstream, pool, to } = setup();
    pool.beacon({ id: "r1", ts: 0 });
    upstream.send("c1", open);
    for (let i = 0; i < 4; i++) upstream.send("c1", stanza(`<message id='${i}'/>`));
    upstream.ack("c1", 2);
    const sent = to("r1").length;
    upstream.resend("c1", 4);
    expect(to("r1").slice(sent)).toEqual(["stanza:4", "stanza:5"]);
    upstream.resend("c1", 0);
    expect(to("r1").slice(sent + 2)).toEqual(["open:2", "stanza:3", "stanza:4", "stanza:5"]);
    upstream.resend("unknown", 0);
    expect(to("r1")).toHaveLength(sent + 6);
  });

  it("resends every unacknowledged window after the bus reconnects", () => {
    const { upstream, pool, to } = setup();
    pool.beacon({ id: "r1", ts: 0 });
    upstream.send("c1", open);
    upstream.send("c1", stanza("<message/>"));
    upstream.send("c2", open);
    upstream.ack("c2", 1);
    upstream.resendAll();
    expect(to("r1")).toEqual(["open:1", "stanza:2", "open:1", "open:1", "stanza:2"]);
  });

  it("retransmits a window that made no progress for the retransmit interval, backing off, and not while acks arrive", () => {
    const { upstream, pool, to, advance } = setup(100, 100);
    pool.beacon({ id: "r1", ts: 0 });
    upstream.send("c1", open);
    upstream.send("c1", stanza("<message id='1'/>"));
    upstream.send("c1", stanza("<message id='2'/>"));
    advance(60);
    upstream.ack("c1", 1);
    advance(60);
    upstream.retransmit();
    expect(to("r1")).toEqual(["open:1", "stanza:2", "stanza:3"]);
    // The tail (2, 3) was lost: nothing after it tells the router.
    advance(50);
    upstream.retransmit();
    expect(to("r1").slice(3)).toEqual(["open:1", "stanza:2", "stanza:3"]);
    advance(100);
    upstream.retransmit();
    expect(to("r1")).toHaveLength(6);
    advance(100);
    upstream.retransmit();
    expect(to("r1")).toHaveLength(9);
    upstream.ack("c1", 3);
    advance(1000);
    upstream.retransmit();
    expect(to("r1")).toHaveLength(9);
  });

  it("forgets a finished connection once everything is acked", () => {
    const { upstream, pool } = setup();
    pool.beacon({ id: "r1", ts: 0 });
    upstream.send("c1", open);
    upstream.send("c1", { t: "closed", reason: "end" });
    upstream.finish("c1");
    expect(upstream.routerOf("c1")).toBe("r1");
    upstream.ack("c1", 2);
    expect(upstream.routerOf("c1")).toBeNull();
    expect(upstream.unackedTotal()).toBe(0);
  });
});
