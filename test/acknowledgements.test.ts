// Invariant 1 end to end (docs/acknowledgements.md): a gateway's window to its router is
// backpressure, not a reason to close; envelopes NATS loses on the way are sent again, and the
// router acknowledges nothing past the gap they leave. One gateway, one router, real NATS/Redis.
import { describe, expect, it } from "vitest";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml } from "./support/clients.ts";

const cluster = useCluster(
  {
    gateways: 1, routers: 1, ampWorkers: 0,
    // The rate limits would pace 2,000 stanzas over 40 s: here only the router window may hold alice back.
    env: {
      XMPPD__gateway__limits__stanzasPerSecond: "100000", XMPPD__gateway__limits__stanzasBurst: "100000",
      XMPPD__gateway__limits__bytesPerSecond: "100000000", XMPPD__gateway__limits__bytesBurst: "100000000",
    },
  },
  ["alice", "bob"],
);

const bodies = (got: { getChildText(name: string): string | null }[]) => [...new Set(got.map((m) => m.getChildText("body")))];

describe("acknowledgements between gateway and router", () => {
  it("alice writes 2,000 stanzas at once: her stream stays open (backpressure), and bob gets them all in order", async () => {
    const n = 2000;
    const bob = await cluster.login(0, "bob", { resource: "phone" });
    const alice = await cluster.login(0, "alice", { resource: "laptop" });
    await Promise.all(Array.from({ length: n }, (_, i) => alice.send(xml("message", { to: bob.jid, type: "chat", id: `b${i}` }, xml("body", {}, `burst ${i}`)))));
    const got = () => bodies(bob.inbox.filter(isChat("alice@localhost")));
    await expect.poll(() => got().length, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(n);
    expect(got()).toEqual(Array.from({ length: n }, (_, i) => `burst ${i}`));
    // Still open: no resource-constraint, and she can go on.
    expect(alice.nonzas.filter((el) => el.name === "stream:error" || el.name === "error")).toEqual([]);
    const pong = await alice.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    expect(pong.attrs.type).toBe("result");
    await alice.stop();
    await bob.stop();
  }, 90_000);

  it("loses nothing alice sent while NATS restarts under her messages", async () => {
    const n = 300;
    const bob = await cluster.login(0, "bob", { resource: "tablet" });
    const alice = await cluster.login(0, "alice", { resource: "desk" });
    let restarted: Promise<void> | null = null;
    for (let i = 0; i < n; i++) {
      await alice.send(xml("message", { to: bob.jid, type: "chat", id: `n${i}` }, xml("body", {}, `through ${i}`)));
      // NATS goes away with envelopes and deliveries in flight, and comes back on the same port.
      if (i === 100) restarted = cluster.topo.nats.restart();
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10));
    }
    await restarted;
    const got = () => bodies(bob.inbox.filter(isChat("alice@localhost")));
    await expect.poll(() => got().length, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(n);
    expect(got()).toEqual(Array.from({ length: n }, (_, i) => `through ${i}`));
    await alice.stop();
    await bob.stop();
  }, 120_000);
});
