// Invariant 2 end to end, across the offline path: 2 gateways, 2 routers, 1 AMP worker on real
// NATS, Redis and Postgres. Messages that went to the AMP work queue while bob was not yet
// available must not be overtaken by later ones that find him available.
import { describe, expect, it } from "vitest";
import { waitFor } from "@xmppd/testkit";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml } from "./support/clients.ts";

const cluster = useCluster({ gateways: 2, routers: 2, ampWorkers: 1 }, ["alice", "bob"]);
const login = cluster.login;

/** Messages the AMP worker has written to offline storage, from its /metrics. */
async function storedSoFar(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${cluster.topo.of("amp")[0]!.opsPort}/metrics`)).text();
  return Number(/^xmpp_amp_offline_stored_total (\d+)/m.exec(text)?.[1] ?? 0);
}

describe("order of one sender's messages while the recipient comes online", () => {
  it("delivers all 300 of alice's messages to bob in the order she sent them", async () => {
    const n = 300;
    const bob = await login(1, "bob", { resource: "phone", presence: false });
    const alice = await login(0, "alice", { resource: "laptop" });
    let sent = 0;
    const sending = (async () => {
      for (; sent < n; sent++) {
        await alice.send(xml("message", { to: "bob@localhost", type: "chat", id: `o${sent}` }, xml("body", {}, `msg ${sent}`)));
        // A steady stream rather than one write: she is still sending when bob comes online.
        if (sent % 10 === 9) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // Bob's initial presence (RFC 6121 §4.2) arrives in the middle of alice's burst: the first
    // messages found him unavailable and were stored, the rest find him available.
    await waitFor(async () => (await storedSoFar()) >= 5, { timeoutMs: 10_000, intervalMs: 5, what: "first messages stored" });
    await bob.send(xml("presence"));
    await sending;
    const got = await bob.collect(isChat("alice@localhost"), n, 45_000);
    // At-least-once delivery may repeat a message; what matters is where each first appears.
    const firsts = [...new Set(got.map((m) => m.getChildText("body")))];
    expect(firsts).toEqual(Array.from({ length: n }, (_, i) => `msg ${i}`));
    // The first ones really waited in storage (XEP-0203), so the test raced what it meant to.
    expect(got[0]?.getChild("delay", "urn:xmpp:delay")).toBeDefined();
    await alice.stop();
    await bob.stop();
  });
});
