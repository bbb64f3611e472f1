// The production topology as separate processes: 2 gateways, 2 routers, 1 AMP worker, real
// NATS, Redis and Postgres. Users on different gateways talk through the whole pipeline.
import { describe, expect, it } from "vitest";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml } from "./support/clients.ts";

const cluster = useCluster({ gateways: 2, routers: 2, ampWorkers: 1 }, ["alice", "bob", "carol"]);
const login = cluster.login;

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
    // RFC 6121 §8.5.2.2.1: a headline is discarded silently and a groupchat bounced; neither is stored.
    await alice.send(xml("message", { to: "carol@localhost", type: "headline", id: "h1" }, xml("body", {}, "headline news")));
    await alice.send(xml("message", { to: "carol@localhost", type: "groupchat", id: "g1" }, xml("body", {}, "not a room")));
    const bounced = await alice.next((el) => el.attrs.type === "error" && el.attrs.id === "g1");
    expect(bounced.attrs.from).toBe("carol@localhost");
    expect(bounced.getChild("error")?.getChild("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeTruthy();
    expect(alice.inbox.some((el) => el.attrs.id === "h1")).toBe(false);
    // Give the work queue time to commit the rows before carol appears.
    await new Promise((r) => setTimeout(r, 1000));
    const carol = await login(1, "carol", { resource: "home" });
    const got = await carol.collect(isChat("alice@localhost"), 3, 15_000);
    expect(got.map((m) => m.getChildText("body"))).toEqual(["while you were out 0", "while you were out 1", "while you were out 2"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(carol.inbox.filter((el) => el.name === "message").map((m) => m.attrs.id)).toEqual(["o0", "o1", "o2"]);
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

  it("binds a server-generated resource, and a second login with the same resource replaces the first (RFC 6120 §7.7.2.2)", async () => {
    const generated = await login(0, "carol", { presence: false });
    expect(generated.jid).toMatch(/^carol@localhost\/.{8,}$/);
    const first = await login(0, "bob", { resource: "same" });
    const second = await login(1, "bob", { resource: "same" });
    expect(second.jid).toBe("bob@localhost/same");
    // The first stream is closed with <conflict/>; the new one receives the traffic.
    await new Promise((r) => setTimeout(r, 500));
    const alice = await login(1, "alice", { resource: "check" });
    await alice.send(xml("message", { to: "bob@localhost/same", type: "chat", id: "c1" }, xml("body", {}, "which one?")));
    await second.next((el) => el.attrs.id === "c1");
    expect(first.inbox.some((el) => el.attrs.id === "c1")).toBe(false);
    await Promise.all([generated.stop(), first.stop(), second.stop(), alice.stop()]);
  });

  it("serves Prometheus metrics, health and readiness on every service's ops port, none on the gateway's public one", async () => {
    const names: Record<string, string> = { gateway: "xmpp_gateway_stanzas_in_total", router: "xmpp_router_stanzas_routed_total", amp: "xmpp_amp_work_processed_total" };
    for (const proc of cluster.topo.procs) {
      const base = `http://127.0.0.1:${proc.opsPort}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toContain(names[proc.kind]);
      expect(text).toContain(`xmpp_${proc.kind}_process_resident_memory_bytes`);
    }
    for (const proc of cluster.topo.of("gateway")) {
      for (const path of ["/metrics", "/healthz", "/readyz"]) expect((await fetch(`http://127.0.0.1:${proc.httpPort}${path}`)).status, path).toBe(404);
    }
  });
});
