// XEP-0198 stream management across gateway processes: acks, resumption on the same gateway,
// on another gateway after the first was killed with SIGKILL, the resumption timeout (contacts see
// unavailable only then, queued messages go offline) and the SIGTERM drain.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { waitFor } from "@xmppd/testkit";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml, type TestClient } from "./support/clients.ts";
import { SmClient } from "./support/sm-client.ts";
import { canonical } from "./support/stanzas.ts";

const TIMEOUT_S = 4;
const cluster = useCluster(
  { gateways: 2, routers: 1, ampWorkers: 1, env: { XMPPD__gateway__streamManagement__resumeTimeoutSeconds: String(TIMEOUT_S), XMPPD__gateway__limits__newConnectionsPerIpPer10s: "100" } },
  ["alice", "bob", "carol", "dave", "erin", "sam"],
);
const NS_SM = "urn:xmpp:sm:3";
const port = (i: number) => cluster.topo.procs.filter((p) => p.kind === "gateway")[i]!.c2sPort;

async function smLogin(gw: number, user: string, resource: string, at = port(gw)): Promise<{ c: SmClient; id: string; jid: string }> {
  const c = await SmClient.login(at, user, `${user}-pw`);
  const jid = await c.bind(resource);
  const enabled = await c.enable();
  const id = enabled.attrs.id as string;
  expect(canonical(enabled)).toBe(canonical(`<enabled xmlns="${NS_SM}" id="${id}" resume="true" max="${TIMEOUT_S}"/>`));
  return { c, id, jid };
}

/** The router's count of resumable sessions enabled (xmpp_router_sm_events_total{event="enabled"}). */
async function smEnabledCount(): Promise<number> {
  const router = cluster.topo.of("router")[0]!;
  const text = await (await fetch(`http://127.0.0.1:${router.opsPort}/metrics`)).text();
  return Number(/^xmpp_\w+_sm_events_total\{event="enabled"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

let bobClient: TestClient | null = null;
/** bob, an @xmpp/client session (with its own stream management) on the gateway that stays up. */
async function bob(): Promise<TestClient> {
  bobClient ??= await cluster.login(1, "bob", { resource: "b" });
  return bobClient;
}

async function sendChats(from: TestClient, to: string, bodies: string[]): Promise<void> {
  for (const body of bodies) await from.send(xml("message", { to, type: "chat", id: body }, xml("body", {}, body)));
}

describe("XEP-0198 on one stream", () => {
  it("offers sm after authentication, answers <r/> with what the routers handled, requests acks", async () => {
    const alice = await SmClient.login(port(1), "alice", "alice-pw");
    const features = alice.received.filter((el) => el.name === "stream:features");
    expect(features[0]!.getChild("sm", NS_SM)).toBeUndefined();
    expect(canonical(features[1]!.getChild("sm", NS_SM)!)).toBe(canonical(`<sm xmlns="${NS_SM}"/>`));
    // §3: enable before a resource is bound is refused.
    alice.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
    const refused = await alice.next((el) => el.name === "failed");
    expect(canonical(refused)).toBe(canonical(`<failed xmlns="${NS_SM}"><unexpected-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>`));
    await alice.bind("a");
    const enabled = await alice.enable();
    expect(enabled.name).toBe("enabled");

    const enabledBefore = await smEnabledCount();
    const b = await bob();
    // @xmpp/client's stream-management plugin negotiates resumable SM with us on its own.
    // (It enables right after bind, while the session is already online.)
    await waitFor(async () => (await smEnabledCount()) === enabledBefore + 1, { timeoutMs: 5000, intervalMs: 50 });
    await sendChats(b, "alice@localhost/a", ["one", "two", "three"]);
    await alice.until(() => alice.bodies().length === 3);
    expect(alice.bodies()).toEqual(["one", "two", "three"]);
    expect(alice.h).toBe(3);
    // The server asks for an ack once stanzas are unacknowledged.
    const r = await alice.next((el) => el.name === "r");
    expect(canonical(r)).toBe(canonical(`<r xmlns="${NS_SM}"/>`));
    alice.ack();

    for (const body of ["x", "y"]) alice.send(`<message to='bob@localhost/b' type='chat' id='${body}'><body>${body}</body></message>`);
    await b.collect(isChat("alice@localhost/a"), 2);
    expect(await alice.requestAck()).toBe(2);
    const a = alice.received.filter((el) => el.name === "a").at(-1)!;
    expect(canonical(a)).toBe(canonical(`<a xmlns="${NS_SM}" h="2"/>`));
    await alice.close();
  });

  it("answers <r/> after three pings whose results the client has with h='3' (every stanza handled counted)", async () => {
    const { c } = await smLogin(0, "sam", "pinger");
    // Several rounds: the router's acknowledgement trails its answers by a few milliseconds, so
    // one round alone could pass by luck.
    for (let round = 1; round <= 10; round++) {
      const ids = [1, 2, 3].map((i) => `p${round}-${i}`);
      for (const id of ids) c.send(`<iq type='get' to='localhost' id='${id}'><ping xmlns='urn:xmpp:ping'/></iq>`);
      for (const id of ids) expect((await c.next((el) => el.name === "iq" && el.attrs.id === id)).attrs.type).toBe("result");
      // Asked at once: the results prove the server handled all of them.
      expect(await c.requestAck()).toBe(3 * round);
    }
    const a = c.received.filter((el) => el.name === "a").at(-1)!;
    expect(canonical(a)).toBe(canonical(`<a xmlns="${NS_SM}" h="30"/>`));
    await c.close();
  });

  it("refuses to resume an unknown session with item-not-found", async () => {
    for (const previd of ["nope", "A".repeat(24)]) {
      const c = await SmClient.login(port(1), "alice", "alice-pw");
      const failed = await c.resume(previd, 0);
      expect(canonical(failed)).toBe(canonical(`<failed xmlns="${NS_SM}"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>`));
      // The stream goes on: the client may bind a new session.
      expect(await c.bind("fresh")).toBe("alice@localhost/fresh");
      await c.close();
    }
  });

  it("another account cannot resume someone's session", async () => {
    const { c, id } = await smLogin(1, "carol", "c");
    const mallory = await SmClient.login(port(1), "erin", "erin-pw");
    const failed = await mallory.resume(id, 0);
    expect(failed.getChild("item-not-found")).toBeDefined();
    await Promise.all([c.close(), mallory.close()]);
  });
});

describe("a client nobody here wrote", () => {
  it("slixmpp's XEP-0198 plugin enables, drops, and resumes on the other gateway with what it missed", async () => {
    const [first, second] = cluster.topo.of("gateway").map((g) => g.c2sPort);
    const py = spawn("/usr/bin/python3", ["test/peers/slixmpp_resume.py", "sam@localhost/py", "sam-pw", String(first), String(second)]);
    const events: Record<string, unknown>[] = [];
    createInterface({ input: py.stdout }).on("line", (line) => events.push(JSON.parse(line) as Record<string, unknown>));
    const seen = (event: string) => waitFor(() => events.some((e) => e.event === event), { timeoutMs: 20_000, intervalMs: 50 });
    try {
      const b = await bob();
      await seen("enabled");
      await sendChats(b, "sam@localhost/py", ["first"]);
      await seen("dropped");
      await sendChats(b, "sam@localhost/py", ["missed", "last"]);
      await new Promise((r) => setTimeout(r, 300));
      py.stdin.write("go\n");
      await waitFor(() => events.some((e) => e.body === "last") || events.some((e) => e.event === "timeout"), { timeoutMs: 30_000, intervalMs: 50 });
      expect(events.map((e) => e.event)).toEqual(["bound", "enabled", "message", "dropped", "resumed", "message", "message"]);
      expect(events.filter((e) => e.event === "message").map((e) => e.body)).toEqual(["first", "missed", "last"]);
      expect(events.find((e) => e.event === "enabled")!.resume).toBe("True");
    } finally {
      py.kill();
    }
  });
});

describe("resumption", () => {
  it("resumes on the same gateway and redelivers what the client never acknowledged", async () => {
    const { c: first, id } = await smLogin(1, "carol", "c");
    const b = await bob();
    await sendChats(b, "carol@localhost/c", ["c1", "c2", "c3"]);
    await first.until(() => first.bodies().length === 3);
    first.ack(1);
    first.drop();
    await sendChats(b, "carol@localhost/c", ["c4"]);

    const second = await SmClient.login(port(1), "carol", "carol-pw");
    const resumed = await second.resume(id, 1);
    expect(canonical(resumed)).toBe(canonical(`<resumed xmlns="${NS_SM}" previd="${id}" h="0"/>`));
    await second.until(() => second.bodies().length >= 3);
    await new Promise((r) => setTimeout(r, 300));
    expect(second.bodies()).toEqual(["c2", "c3", "c4"]);
    // The resumed stream is the session: it sends and receives as carol@localhost/c.
    second.send(`<message to='bob@localhost/b' type='chat' id='back'><body>back</body></message>`);
    const back = await b.next((el) => isChat("carol@localhost")(el) && el.getChildText("body") === "back");
    expect(back.attrs.from).toBe("carol@localhost/c");
    await second.close();
  });

  it("resumes on another gateway after the first was killed with SIGKILL: each message exactly once, in order", async () => {
    const { c: first, id } = await smLogin(0, "alice", "k");
    const b = await bob();
    await sendChats(b, "alice@localhost/k", ["m1", "m2", "m3"]);
    await first.until(() => first.bodies().length === 3);
    first.ack(2); // m3 stays in flight, unacknowledged
    first.send(`<message to='bob@localhost/b' type='chat' id='s1'><body>s1</body></message>`);
    await b.next((el) => isChat("alice@localhost/k")(el) && el.getChildText("body") === "s1");
    await waitFor(async () => (await first.requestAck()) === 1, { timeoutMs: 5000, intervalMs: 50 });

    await cluster.topo.kill(cluster.topo.procs.filter((p) => p.kind === "gateway")[0]!, "SIGKILL");
    await first.until(() => first.closed);
    // Sent while the gateway is dead, before and after the routers notice.
    await sendChats(b, "alice@localhost/k", ["m4", "m5"]);
    await new Promise((r) => setTimeout(r, 2000));
    await sendChats(b, "alice@localhost/k", ["m6"]);

    const second = await SmClient.login(port(1), "alice", "alice-pw");
    const resumed = await second.resume(id, 2);
    // The server handled s1: alice must not send it again.
    expect(canonical(resumed)).toBe(canonical(`<resumed xmlns="${NS_SM}" previd="${id}" h="1"/>`));
    await second.until(() => second.bodies().length >= 4);
    await sendChats(b, "alice@localhost/k", ["m7"]);
    await second.until(() => second.bodies().length >= 5);
    await new Promise((r) => setTimeout(r, 500));
    expect(second.bodies()).toEqual(["m3", "m4", "m5", "m6", "m7"]);
    expect(second.h).toBe(2 + 5);
    second.ack();
    // s1 reached bob once.
    expect(b.inbox.filter((el) => el.getChildText("body") === "s1")).toHaveLength(1);
    await second.close();
  });
});

describe("the end of a session", () => {
  it("keeps a lost session for the resumption timeout; then contacts see it unavailable and its messages go offline", async () => {
    const watch = await SmClient.login(cluster.topo.of("gateway")[0]!.c2sPort, "dave", "dave-pw");
    await watch.bind("watch");
    // Negative priority: presence reaches it, messages to the account do not (RFC 6121 §8.5.2.1.1).
    watch.send("<presence><priority>-1</priority></presence>");
    const { c: d } = await smLogin(0, "dave", "d", cluster.topo.of("gateway")[0]!.c2sPort);
    d.send("<presence/>");
    await watch.next((el) => el.name === "presence" && el.attrs.from === "dave@localhost/d" && el.attrs.type === undefined);
    const b = await bob();
    await sendChats(b, "dave@localhost/d", ["p1"]);
    await d.until(() => d.bodies().length === 1); // received, never acknowledged
    const droppedAt = Date.now();
    d.drop();
    await sendChats(b, "dave@localhost/d", ["q1", "q2"]);

    const isGone = (el: { name: string; attrs: Record<string, unknown> }) => el.name === "presence" && el.attrs.from === "dave@localhost/d" && el.attrs.type === "unavailable";
    const gone = await watch.next(isGone, (TIMEOUT_S + 10) * 1000);
    // XEP-0198 §5: the session stayed while it could be resumed.
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - 300);
    expect(canonical(gone)).toBe(canonical('<presence type="unavailable" from="dave@localhost/d" to="dave@localhost"/>'));
    expect(watch.bodies()).toEqual([]);

    // Nothing was lost: the next login gets them from offline storage, in order.
    const again = await SmClient.login(cluster.topo.of("gateway")[0]!.c2sPort, "dave", "dave-pw");
    await again.bind("again");
    again.send("<presence/>");
    await again.until(() => again.bodies().length >= 3, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.bodies()).toEqual(["p1", "q1", "q2"]);
    const stored = again.received.filter((el) => el.name === "message");
    expect(stored.every((m) => m.attrs.from === "bob@localhost/b" && m.getChild("delay", "urn:xmpp:delay") !== undefined)).toBe(true);
    await Promise.all([watch.close(), again.close()]);
  });

  it("SIGTERM drain: system-shutdown, the gateway exits in time, and the session resumes on the other gateway", async () => {
    const gw = await cluster.topo.start("gateway");
    const { c: first, id } = await smLogin(0, "erin", "e", gw.c2sPort);
    const b = await bob();
    await sendChats(b, "erin@localhost/e", ["d1", "d2"]);
    await first.until(() => first.bodies().length === 2);
    first.ack(1);
    await new Promise((r) => setTimeout(r, 200)); // the ack report reaches the private tier (batched)
    const stoppedAt = Date.now();
    gw.child.kill("SIGTERM");
    const err = await first.next((el) => el.name === "stream:error");
    expect(err.children.map((c) => (typeof c === "string" ? c : `${c.name} ${c.attrs.xmlns}`))).toEqual(["system-shutdown urn:ietf:params:xml:ns:xmpp-streams"]);
    await first.close();
    await gw.exited;
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    await sendChats(b, "erin@localhost/e", ["d3"]);

    const second = await SmClient.login(cluster.topo.of("gateway")[0]!.c2sPort, "erin", "erin-pw");
    const resumed = await second.resume(id, 1);
    expect(canonical(resumed)).toBe(canonical(`<resumed xmlns="${NS_SM}" previd="${id}" h="0"/>`));
    await second.until(() => second.bodies().length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(second.bodies()).toEqual(["d2", "d3"]);
    await second.close();
  });
});
