// Invariant 1 under a router crash: a router killed with SIGKILL mid-conversation; the gateways
// move its connections to the surviving router and resend what was not acknowledged.
import { expect, it } from "vitest";
import { waitFor } from "@xmppd/testkit";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml } from "./support/clients.ts";

const cluster = useCluster({ gateways: 2, routers: 2, ampWorkers: 1 }, ["alice", "bob"]);
const login = cluster.login;

it("keeps the chat going and loses no accepted message when a router is killed", async () => {
  const alice = await login(0, "alice", { resource: "a" });
  const bob = await login(1, "bob", { resource: "b" });

  const total = 400;
  let killed = false;
  for (let i = 0; i < total; i++) {
    await alice.send(xml("message", { to: "bob@localhost/b", type: "chat", id: `k${i}` }, xml("body", {}, `msg ${i}`)));
    if (i === 150 && !killed) {
      killed = true;
      // Both routers serve connections; kill one of them without warning.
      await cluster.topo.kill(cluster.topo.of("router")[0]!, "SIGKILL");
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
