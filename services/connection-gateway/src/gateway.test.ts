import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryBus, decode, encode, subjects, type Bus, type ToRouter } from "@xmppd/bus";
import { configSchema } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { createGateway, type Gateway } from "./gateway.ts";
import { startFakeRouter, type FakeRouter } from "./testing/fake-router.ts";
import { RawClient, streamHeader } from "./testing/raw-client.ts";

const AUTH = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>";
const BIND = "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>phone</resource></bind></iq>";

interface Env {
  bus: Bus;
  gateway: Gateway;
  subs: ReturnType<typeof subjects>;
  routers: FakeRouter[];
  clients: RawClient[];
  dataDir: string;
}

let env: Env | null = null;

async function setup(overrides: { tlsRequired?: boolean; limits?: Record<string, number> } = {}): Promise<Env> {
  const cluster = `gwt-${Math.random().toString(36).slice(2, 10)}`;
  const dataDir = await mkdtemp(join(tmpdir(), "gw-test-"));
  const config = configSchema.parse({
    cluster,
    domains: ["localhost"],
    dataDir,
    log: { level: "silent" },
    heartbeat: { intervalMs: 50, deadAfterMs: 200 },
    gateway: { host: "127.0.0.1", c2sPort: 0, tlsPort: 0, httpPort: 0, drainMs: 500, tls: { required: overrides.tlsRequired ?? false }, limits: overrides.limits ?? {} },
  });
  const bus = createMemoryBus();
  const gateway = await createGateway({ config, bus, log: createLogger({ service: "connection-gateway", level: "silent" }) });
  await gateway.start();
  env = { bus, gateway, subs: subjects(cluster), routers: [], clients: [], dataDir };
  return env;
}

afterEach(async () => {
  if (!env) return;
  for (const c of env.clients) c.close();
  for (const r of env.routers) r.kill();
  await env.gateway.stop();
  await env.bus.close();
  await rm(env.dataDir, { recursive: true, force: true });
  env = null;
});

function router(e: Env, id: string, opts?: Parameters<typeof startFakeRouter>[3]): FakeRouter {
  const r = startFakeRouter(e.bus, e.subs, id, opts);
  e.routers.push(r);
  return r;
}

async function client(e: Env): Promise<RawClient> {
  const c = await RawClient.connect(e.gateway.c2sPort());
  e.clients.push(c);
  return c;
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Plain-stream login: header, SASL, restart, bind. */
async function login(c: RawClient): Promise<void> {
  c.send(streamHeader());
  await c.waitFor(/<mechanisms[^>]*>.*PLAIN.*<\/mechanisms>/);
  c.send(AUTH);
  await c.waitFor(/<success /);
  c.send(streamHeader());
  await c.waitFor(/<bind xmlns=.urn:ietf:params:xml:ns:xmpp-bind.\/>/);
  c.send(BIND);
  await c.waitFor(/<jid>alice@localhost\/phone<\/jid>/);
}

const stanzas = (r: FakeRouter) => r.received.filter((m): m is Extract<ToRouter, { t: "stanza" }> => m.t === "stanza");

describe("stream header", () => {
  it("answers an unserved domain with <host-unknown/> inside a stream of ours", async () => {
    const e = await setup();
    const c = await client(e);
    c.send(streamHeader("elsewhere.example"));
    await c.waitFor(/<stream:stream [^>]*from=.localhost.[^>]*>.*<host-unknown xmlns=.urn:ietf:params:xml:ns:xmpp-streams.\/>.*<\/stream:stream>/s);
    await c.waitClosed();
  });

  it("answers a jabber:server stream with <invalid-namespace/>", async () => {
    const e = await setup();
    const c = await client(e);
    c.send(streamHeader().replace("jabber:client", "jabber:server"));
    await c.waitFor(/<invalid-namespace /);
    await c.waitClosed();
  });

  it("answers a DOCTYPE with <restricted-xml/>", async () => {
    const e = await setup();
    const c = await client(e);
    c.send("<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY x 'y'>]>" + streamHeader().replace("<?xml version='1.0'?>", ""));
    await c.waitFor(/<restricted-xml /);
    await c.waitClosed();
  });
});

describe("negotiation", () => {
  it("runs STARTTLS, then SASL and bind through the router, then stamps from on stanzas", async () => {
    const e = await setup({ tlsRequired: true });
    const r = router(e, "r1");
    const c = await client(e);
    c.send(streamHeader());
    const features = await c.waitFor(/<stream:features>.*<\/stream:features>/s);
    expect(features[0]).toMatch(/<starttls xmlns=.urn:ietf:params:xml:ns:xmpp-tls.><required\/><\/starttls>/);
    expect(features[0]).not.toMatch(/mechanisms/);
    c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await c.waitFor(/<proceed /);
    await c.startTls();
    await login(c);
    c.send("<message to='bob@localhost' id='m1'><body>hi</body></message>");
    await until(() => stanzas(r).some((s) => s.xml.includes("m1")));
    const message = stanzas(r).find((s) => s.xml.includes("m1"))!;
    expect(message.jid).toBe("alice@localhost/phone");
    expect(message.xml).toMatch(/from=.alice@localhost\/phone./);
    const open = r.received[0]!;
    expect(open).toMatchObject({ t: "open", domain: "localhost", secure: true, seq: 1 });
    expect(r.received.map((m) => m.seq)).toEqual(r.received.map((_, i) => i + 1));
  });

  it("refuses SASL on a plain stream when TLS is required with <policy-violation/>", async () => {
    const e = await setup({ tlsRequired: true });
    const c = await client(e);
    c.send(streamHeader());
    await c.waitFor(/<\/stream:features>/);
    c.send(AUTH);
    await c.waitFor(/<policy-violation /);
    await c.waitClosed();
  });

  it("answers a stanza before bind with <not-authorized/>", async () => {
    const e = await setup();
    router(e, "r1");
    const c = await client(e);
    c.send(streamHeader());
    c.send(AUTH);
    await c.waitFor(/<success /);
    c.send(streamHeader());
    await c.waitFor(/<\/stream:features>/);
    c.send("<message to='bob@localhost'><body>too early</body></message>");
    await c.waitFor(/<not-authorized /);
    await c.waitClosed();
  });
});

describe("established stream", () => {
  it("accepts the bare JID as from, stamps the full JID, and closes on someone else's from", async () => {
    const e = await setup();
    const r = router(e, "r1");
    const c = await client(e);
    await login(c);
    c.send("<presence from='alice@localhost'/>");
    await until(() => stanzas(r).some((s) => s.xml.startsWith("<presence")));
    expect(stanzas(r).find((s) => s.xml.startsWith("<presence"))!.xml).toMatch(/from=.alice@localhost\/phone./);
    c.send("<message from='mallory@localhost/x' to='bob@localhost'><body>spoof</body></message>");
    await c.waitFor(/<invalid-from /);
    await c.waitClosed();
    expect(stanzas(r).some((s) => s.xml.includes("spoof"))).toBe(false);
    await until(() => r.received.some((m) => m.t === "closed"));
  });

  it("closes an oversized stanza with <policy-violation/> while another connection keeps working", async () => {
    const e = await setup({ limits: { stanzaBytes: 4096 } });
    const r = router(e, "r1");
    const big = await client(e);
    const other = await client(e);
    await login(big);
    await login(other);
    big.send(`<message to='bob@localhost'><body>${"x".repeat(8000)}</body></message>`);
    await big.waitFor(/<policy-violation /);
    await big.waitClosed();
    other.send("<message to='bob@localhost' id='still-here'><body>ok</body></message>");
    await until(() => stanzas(r).some((s) => s.xml.includes("still-here")));
  });

  it("delivers, and closes with the router's condition", async () => {
    const e = await setup();
    const r = router(e, "r1");
    const c = await client(e);
    await login(c);
    const conn = r.received[0]!.conn;
    r.reply(e.gateway.id, { t: "deliver", conn, xml: "<message from='bob@localhost/pc' id='d1'><body>yo</body></message>" });
    await c.waitFor(/id=.d1./);
    r.reply(e.gateway.id, { t: "close", conn, condition: "conflict", text: "replaced" });
    await c.waitFor(/<conflict /);
    await c.waitClosed();
  });

  it("sends messages that reach an ended stream back to its router, once the router has its 'closed'", async () => {
    const e = await setup();
    const r = router(e, "r1", { ack: (env) => env.t !== "closed" });
    const c = await client(e);
    await login(c);
    const conn = r.received[0]!.conn;
    c.send("</stream:stream>");
    await until(() => r.received.some((m) => m.t === "closed"));
    const closed = r.received.find((m) => m.t === "closed")!;
    const late = "<message from='bob@localhost/pc' to='alice@localhost/phone' type='chat' id='late'><body>late</body></message>";
    r.reply(e.gateway.id, { t: "deliver", conn, xml: late });
    r.reply(e.gateway.id, { t: "deliver", conn, xml: "<presence from='bob@localhost/pc' to='alice@localhost/phone'/>" });
    r.reply(e.gateway.id, { t: "deliver", conn, xml: "<message from='bob@localhost/pc' id='numbered'/>", sm: 7 });
    // The memory bus delivers in microtasks: all of it has run before the next macrotask.
    await new Promise((res) => setImmediate(res));
    // Not before the router has unbound the session: it would only deliver here again.
    expect(r.received.filter((m) => (m as { t: string }).t === "returned")).toEqual([]);
    r.reply(e.gateway.id, { t: "ack", conn, seq: closed.seq });
    await until(() => r.received.some((m) => (m as { t: string }).t === "returned"));
    const after = "<message from='bob@localhost/pc' to='alice@localhost/phone' type='chat' id='later'/>";
    r.reply(e.gateway.id, { t: "deliver", conn, xml: after });
    await until(() => r.received.filter((m) => (m as { t: string }).t === "returned").length === 2);
    expect(r.received.filter((m) => (m as { t: string }).t === "returned")).toEqual([
      { t: "returned", gw: e.gateway.id, conn, items: [{ n: 1, xml: late }] },
      { t: "returned", gw: e.gateway.id, conn, items: [{ n: 2, xml: after }] },
    ]);
    expect(await e.gateway.registry.getSingleMetricAsString("xmpp_gateway_stanza_outcomes_total")).toContain('outcome="returned",reason="stream-ended"} 2');
  });

  it("writes a delivery sent again under the same once key only the first time", async () => {
    const e = await setup();
    const r = router(e, "r1");
    const c = await client(e);
    await login(c);
    const conn = r.received[0]!.conn;
    const event = "<message from='localhost' id='ev1'><amp xmlns='http://jabber.org/protocol/amp' status='notify'/></message>";
    r.reply(e.gateway.id, { t: "deliver", conn, xml: event, once: "amp-event:k1" });
    r.reply(e.gateway.id, { t: "deliver", conn, xml: event, once: "amp-event:k1" });
    r.reply(e.gateway.id, { t: "deliver", conn, xml: "<message from='bob@localhost/pc' id='after'/>" });
    await c.waitFor(/id=.after./);
    expect(c.text().match(/id='ev1'/g)).toHaveLength(1);
  });

  for (const [what, limits, size, count] of [
    ["bytes", { outboundBytes: 64 * 1024, outboundStanzas: 1_000_000 }, 1024, 20_000],
    ["stanzas", { outboundStanzas: 50, outboundBytes: 1 << 30 }, 100, 100_000],
  ] as const) {
    it(`closes a client that stops reading with <resource-constraint/> (outbound ${what})`, async () => {
      const e = await setup({ limits });
      const r = router(e, "r1");
      const c = await client(e);
      await login(c);
      c.pause();
      const conn = r.received[0]!.conn;
      const body = "x".repeat(size);
      for (let i = 0; i < count && !r.received.some((m) => m.t === "closed"); i++) {
        r.reply(e.gateway.id, { t: "deliver", conn, xml: `<message id='f${i}'><body>${body}</body></message>` });
        if (i % 1000 === 999) await new Promise((res) => setTimeout(res, 1));
      }
      await until(() => r.received.some((m) => m.t === "closed" && m.reason === "resource-constraint"), 5000);
    });
  }

  it("closes bound streams when the routers declare this gateway dead, and only for its own id", async () => {
    const e = await setup();
    router(e, "r1");
    const bound = await client(e);
    await login(bound);
    const pending = await client(e);
    pending.send(streamHeader());
    await pending.waitFor(/<\/stream:features>/);
    e.bus.publish(e.subs.gatewayGone(), encode({ id: "some-other-gateway" }));
    e.bus.publish(e.subs.gatewayGone(), encode({ id: e.gateway.id }));
    await bound.waitFor(/<internal-server-error /);
    await bound.waitClosed();
    expect(pending.text()).not.toMatch(/stream:error/);
  });
});

describe("router failover", () => {
  it("resends the unacked envelopes to another router, in order and with their seq", async () => {
    const e = await setup();
    // r1 acknowledges the negotiation but not the messages.
    const r1 = router(e, "r1", { ack: (m) => !(m.t === "stanza" && m.xml.startsWith("<message")) });
    const c = await client(e);
    await login(c);
    c.send("<message to='bob@localhost' id='a'><body>1</body></message><message to='bob@localhost' id='b'><body>2</body></message>");
    await until(() => stanzas(r1).filter((s) => s.xml.startsWith("<message")).length === 2);
    const r2 = router(e, "r2");
    await until(() => e.gateway.isReady());
    r1.kill();
    await until(() => stanzas(r2).length === 2);
    const sent = stanzas(r1).filter((s) => s.xml.startsWith("<message"));
    // The "open" comes first, restamped with the seq r1 acknowledged: r2's sequence starts there.
    expect(r2.received.map((m) => [m.t, m.seq])).toEqual([
      ["open", sent[0]!.seq - 1],
      ["stanza", sent[0]!.seq],
      ["stanza", sent[1]!.seq],
    ]);
    expect(stanzas(r2).map((s) => /id=["'](\w)["']/.exec(s.xml)?.[1])).toEqual(["a", "b"]);
    c.send("<message to='bob@localhost' id='c'><body>3</body></message>");
    await until(() => stanzas(r2).length === 3);
    expect(stanzas(r2)[2]!.seq).toBe(sent[1]!.seq + 1);
  });

  it("stops reading a client whose router window is full, without closing it, and reads on once acks come", async () => {
    const e = await setup({ limits: { outboundStanzas: 5 } });
    let hold = true;
    const r1 = router(e, "r1", { ack: (m) => !(hold && m.t === "stanza" && m.xml.startsWith("<message")) });
    const c = await client(e);
    await login(c);
    const messages = () => stanzas(r1).filter((m) => m.xml.startsWith("<message"));
    const msg = (i: number) => `<message to='bob@localhost' id='m${i}'><body>${i}</body></message>`;
    c.send(Array.from({ length: 8 }, (_, i) => msg(i)).join(""));
    // One read holds all eight: taken past the window (5), then the socket is paused.
    await until(() => messages().length === 8);
    const pauses = async () => (await e.gateway.registry.getSingleMetricAsString("xmpp_gateway_router_window_pauses_total")).trim().split("\n").pop();
    expect(await pauses()).toBe("xmpp_gateway_router_window_pauses_total 1");
    c.send(msg(8) + msg(9));
    hold = false;
    const last = messages().at(-1)!;
    e.bus.publish(e.subs.gatewayInbox(last.gw), encode({ t: "ack", conn: last.conn, seq: last.seq }));
    await until(() => messages().length === 10);
    expect(messages().map((m) => /id=["']m(\d+)["']/.exec(m.xml)?.[1])).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(c.text()).not.toMatch(/stream:error/);
  });

  it("takes a router's AckBatch as the acks it holds (and says in its beacon that it reads them)", async () => {
    const e = await setup({ limits: { outboundStanzas: 5 } });
    const beacons: { batchAcks?: boolean }[] = [];
    e.bus.subscribe(e.subs.gatewayHeartbeat(e.gateway.id), (d) => beacons.push(decode(d)));
    let hold = true;
    const r1 = router(e, "r1", { ack: (m) => !(hold && m.t === "stanza" && m.xml.startsWith("<message")) });
    const c = await client(e);
    await login(c);
    const messages = () => stanzas(r1).filter((m) => m.xml.startsWith("<message"));
    const msg = (i: number) => `<message to='bob@localhost' id='m${i}'><body>${i}</body></message>`;
    c.send(Array.from({ length: 8 }, (_, i) => msg(i)).join(""));
    await until(() => messages().length === 8);
    c.send(msg(8));
    hold = false;
    const last = messages().at(-1)!;
    // Entries that are not [conn, seq] are skipped, not fatal.
    e.bus.publish(e.subs.gatewayInbox(last.gw), encode({ t: "acks", acks: [["no-such-conn", 3], "junk", [last.conn, last.seq]] }));
    await until(() => messages().length === 9);
    expect(c.text()).not.toMatch(/stream:error/);
    await until(() => beacons.length > 0);
    expect(beacons.every((b) => b.batchAcks === true)).toBe(true);
  });

  it("buffers while no router is live and is not ready until one appears", async () => {
    const e = await setup();
    expect(e.gateway.isReady()).toBe(false);
    const c = await client(e);
    c.send(streamHeader());
    await c.waitFor(/<\/stream:features>/);
    c.send(AUTH);
    const r = router(e, "late");
    await c.waitFor(/<success /);
    expect(r.received.map((m) => m.t)).toEqual(["open", "sasl"]);
    expect(e.gateway.isReady()).toBe(true);
  });
});

describe("limits and shutdown", () => {
  it("closes the stream with <policy-violation/> after saslFailuresPerStream failures", async () => {
    const e = await setup({ limits: { saslFailuresPerStream: 2 } });
    router(e, "r1", { rejectAuth: true });
    const c = await client(e);
    c.send(streamHeader());
    c.send(AUTH);
    await c.waitFor(/<failure [^>]*><not-authorized\/><\/failure>/);
    c.send(AUTH);
    await c.waitFor(/<failure [^>]*><not-authorized\/><\/failure>.*<stream:error[^>]*><policy-violation /s);
    await c.waitClosed();
  });

  it("refuses connections beyond connectionsPerIp with <policy-violation/>", async () => {
    const e = await setup({ limits: { connectionsPerIp: 1 } });
    const first = await client(e);
    const second = await client(e);
    await second.waitFor(/<policy-violation /);
    await second.waitClosed();
    first.send(streamHeader());
    await first.waitFor(/<\/stream:features>/);
  });

  it("sends <system-shutdown/> to every client on stop and tells the router", async () => {
    const e = await setup();
    const r = router(e, "r1");
    const c = await client(e);
    await login(c);
    await e.gateway.stop();
    await c.waitFor(/<system-shutdown /);
    await c.waitClosed();
    await until(() => r.received.some((m) => m.t === "closed" && m.reason === "system-shutdown"));
  });
});

describe("timeouts and rates", () => {
  it("closes a connection that stalls during negotiation with <connection-timeout/>", async () => {
    const e = await setup({ limits: { negotiationStepMs: 150 } });
    const c = await client(e);
    c.send(streamHeader());
    await c.waitFor(/<\/stream:features>/);
    await c.waitFor(/<connection-timeout /, 2000);
    await c.waitClosed();
  });

  it("slows a fast sender down by pausing reads, without dropping anything", async () => {
    const e = await setup({ limits: { bytesPerSecond: 2000, bytesBurst: 1000 } });
    const r = router(e, "r1");
    const c = await client(e);
    await login(c);
    const started = Date.now();
    for (const id of ["p", "q", "r", "s"]) {
      c.send(`<message to='bob@localhost' id='${id}'><body>${"z".repeat(1000)}</body></message>`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await until(() => stanzas(r).filter((s) => s.xml.startsWith("<message")).length === 4, 6000);
    // Four ~1 KB reads over a 1 KB burst at 2 KB/s: reading must have been held for about a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  });
});
