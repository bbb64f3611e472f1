// Invariant 1 under a router crash: a router killed with SIGKILL mid-conversation; the gateways
// move its connections to the surviving router and resend what was not acknowledged.
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "@xmppd/testkit";
import { startTopology, type Topology } from "./support/topology.ts";
import { connect, isChat, xml, type TestClient } from "./support/clients.ts";

let topo: Topology;
const open: TestClient[] = [];

beforeAll(async () => {
  topo = await startTopology({ gateways: 2, routers: 2, ampWorkers: 1 });
  await topo.addUser("alice", "alice-pw");
  await topo.addUser("bob", "bob-pw");
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.stop()));
  await topo?.stop();
});

it("keeps the chat going and loses no accepted message when a router is killed", async () => {
  const [gw1, gw2] = topo.of("gateway");
  const alice = await connect({ port: gw1!.c2sPort, username: "alice", password: "alice-pw", resource: "a" });
  const bob = await connect({ port: gw2!.c2sPort, username: "bob", password: "bob-pw", resource: "b" });
  open.push(alice, bob);

  const total = 400;
  let killed = false;
  for (let i = 0; i < total; i++) {
    await alice.send(xml("message", { to: "bob@localhost/b", type: "chat", id: `k${i}` }, xml("body", {}, `msg ${i}`)));
    if (i === 150 && !killed) {
      killed = true;
      // Both routers serve connections; kill one of them without warning.
      await topo.kill(topo.of("router")[0]!, "SIGKILL");
    }
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 10));
  }
  const want = Array.from({ length: total }, (_, i) => `msg ${i}`);
  // Wait for every distinct message, not for `total` stanzas: resent duplicates count too.
  const bodiesNow = () => bob.inbox.filter(isChat("alice@localhost")).map((m) => m.getChildText("body")!);
  await waitFor(() => new Set(bodiesNow()).size >= total, { timeoutMs: 30_000, intervalMs: 50 }).catch(() => null);
  const bodies = bodiesNow();
  // Nothing lost; a message may be repeated after fail-over (XEP-0198 permits it), but the
  // first occurrences keep the order in which alice sent them.
  const firsts = bodies.filter((b, i) => bodies.indexOf(b) === i);
  expect(firsts).toEqual(want);

  // The conversation goes on in both directions after the crash.
  await bob.send(xml("message", { to: "alice@localhost/a", type: "chat", id: "after" }, xml("body", {}, "still here")));
  const reply = await alice.next((el) => isChat("bob@localhost")(el) && el.getChildText("body") === "still here");
  expect(reply.attrs.from).toBe("bob@localhost/b");
});
