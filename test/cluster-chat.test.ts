// The production topology as separate processes: 2 gateways, 2 routers, 1 AMP worker, real
// NATS, Redis and Postgres. Users on different gateways talk through the whole pipeline.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTopology, type Topology } from "./support/topology.ts";
import { connect, isChat, xml, type TestClient } from "./support/clients.ts";

let topo: Topology;
const open: TestClient[] = [];

beforeAll(async () => {
  topo = await startTopology({ gateways: 2, routers: 2, ampWorkers: 1 });
  await topo.addUser("alice", "alice-pw");
  await topo.addUser("bob", "bob-pw");
  await topo.addUser("carol", "carol-pw");
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.stop()));
  await topo?.stop();
});

async function login(gateway: number, username: string, extra: { resource?: string; presence?: boolean } = {}): Promise<TestClient> {
  const c = await connect({ port: topo.of("gateway")[gateway]!.c2sPort, username, password: `${username}-pw`, ...extra });
  open.push(c);
  return c;
}

describe("chat across two gateway processes", () => {
  it("delivers alice's messages to bob on the other gateway, in order, stamped with her full JID", async () => {
    const alice = await login(0, "alice", { resource: "laptop" });
    const bob = await login(1, "bob", { resource: "phone" });
    const n = 100;
    for (let i = 0; i < n; i++) {
      await alice.send(xml("message", { to: "bob@localhost", type: "chat", id: `m${i}` }, xml("body", {}, `hello ${i}`)));
    }
    const got = await bob.collect(isChat("alice@localhost"), n, 20_000);
    expect(got.map((m) => m.getChildText("body"))).toEqual(Array.from({ length: n }, (_, i) => `hello ${i}`));
    expect(got[0]!.attrs.from).toBe("alice@localhost/laptop");
    expect(got[0]!.attrs.to).toBe("bob@localhost");

    await bob.send(xml("message", { to: "alice@localhost/laptop", type: "chat", id: "r1" }, xml("body", {}, "hi alice")));
    const reply = await alice.next(isChat("bob@localhost"));
    expect(reply.attrs.from).toBe("bob@localhost/phone");
    expect(reply.getChildText("body")).toBe("hi alice");
    await alice.stop();
    await bob.stop();
  });

  it("stores messages for an offline user and delivers them oldest first with <delay/> on initial presence", async () => {
    const alice = await login(0, "alice", { resource: "desk" });
    for (let i = 0; i < 3; i++) {
      await alice.send(xml("message", { to: "carol@localhost", type: "chat", id: `o${i}` }, xml("body", {}, `while you were out ${i}`)));
    }
    // Give the work queue time to commit the rows before carol appears.
    await new Promise((r) => setTimeout(r, 1000));
    const carol = await login(1, "carol", { resource: "home" });
    const got = await carol.collect(isChat("alice@localhost"), 3, 15_000);
    expect(got.map((m) => m.getChildText("body"))).toEqual(["while you were out 0", "while you were out 1", "while you were out 2"]);
    for (const m of got) {
      const delay = m.getChild("delay", "urn:xmpp:delay");
      expect(delay?.attrs.from).toBe("localhost");
      expect(delay?.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    }
    // Delivered once: a second login gets nothing stored.
    await carol.stop();
    const again = await login(0, "carol", { resource: "again" });
    await new Promise((r) => setTimeout(r, 1000));
    expect(again.inbox.filter(isChat("alice@localhost"))).toHaveLength(0);
    await again.stop();
    await alice.stop();
  });

  it("answers an iq to an unavailable user's full JID with service-unavailable", async () => {
    const alice = await login(0, "alice", { resource: "iq" });
    const err = await alice.iq(xml("iq", { type: "get", to: "bob@localhost/nowhere", id: "v1" }, xml("query", { xmlns: "jabber:iq:version" }))).then(
      () => null,
      (e: { condition?: string }) => e,
    );
    expect(err?.condition).toBe("service-unavailable");
    await alice.stop();
  });

  it("answers server IQs: ping, disco#info listing what is implemented, version", async () => {
    const alice = await login(1, "alice", { resource: "disco" });
    const pong = await alice.iq(xml("iq", { type: "get", to: "localhost", id: "p1" }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    expect(pong.attrs.type).toBe("result");
    const info = await alice.iq(xml("iq", { type: "get", to: "localhost", id: "d1" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
    const query = info.getChild("query", "http://jabber.org/protocol/disco#info")!;
    expect(query.getChild("identity")?.attrs).toMatchObject({ category: "server", type: "im" });
    const features = query.getChildren("feature").map((f) => f.attrs.var).sort();
    expect(features).toEqual(expect.arrayContaining(["http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", "jabber:iq:version", "urn:xmpp:ping"]));
    const version = await alice.iq(xml("iq", { type: "get", to: "localhost", id: "v2" }, xml("query", { xmlns: "jabber:iq:version" })));
    expect(version.getChild("query")?.getChildText("name")).toBe("xmppd");
    await alice.stop();
  });
});
