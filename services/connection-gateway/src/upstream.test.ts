import { describe, it, expect } from "vitest";
import { decode, subjects } from "@xmppd/bus";
import type { Bus, ToRouter } from "@xmppd/bus";
import { RouterPool } from "./router-pool.ts";
import { Upstream } from "./upstream.ts";

function setup(maxEnvelopes = 100) {
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
  upstream = new Upstream({ bus, subjects: s, gatewayId: "gw-1", pool, maxEnvelopes, maxBytes: 10_000, lingerMs: 1000 });
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

  it("moves a dead router's connection, resending the open and the unacked envelopes with their seq", () => {
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
    expect(to("r2")).toEqual(["open:1", "stanza:3"]);
    upstream.send("c1", stanza("<message id='3'/>"));
    expect(to("r2")).toEqual(["open:1", "stanza:3", "stanza:4"]);
  });

  it("refuses envelopes beyond the buffer bound but always takes the final closed", () => {
    const { upstream } = setup(2);
    expect(upstream.send("c1", open)).toBe(true);
    expect(upstream.send("c1", stanza("<presence/>"))).toBe(true);
    expect(upstream.send("c1", stanza("<presence/>"))).toBe(false);
    expect(upstream.send("c1", { t: "closed", reason: "resource-constraint" }, true)).toBe(true);
    expect(upstream.unackedTotal()).toBe(3);
  });

  it("forgets a finished connection once everything is acked", () => {
    const { upstream, pool } = setup();
    pool.beacon({ id: "r1", ts: 0 });
    upstream.send("c1", open);
    upstream.send("c1", { t: "closed", reason: "end" }, true);
    upstream.finish("c1");
    expect(upstream.routerOf("c1")).toBe("r1");
    upstream.ack("c1", 2);
    expect(upstream.routerOf("c1")).toBeNull();
    expect(upstream.unackedTotal()).toBe(0);
  });
});
