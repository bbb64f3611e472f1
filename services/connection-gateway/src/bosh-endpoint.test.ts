import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryBus, subjects, type Bus } from "@xmppd/bus";
import { configSchema } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { createGateway, type Gateway } from "./gateway.ts";
import { BoshClient } from "./testing/bosh-client.ts";
import { startFakeRouter, type FakeRouter } from "./testing/fake-router.ts";

const HB = "xmlns='http://jabber.org/protocol/httpbind'";
const PLAIN = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>";
const BIND = "<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>";

interface Env {
  bus: Bus;
  gateway: Gateway;
  http: Server;
  router: FakeRouter;
  url: string;
  dataDir: string;
}

let env: Env | null = null;

async function setup(gateway: Record<string, unknown> = {}): Promise<Env> {
  const cluster = `bosh-${Math.random().toString(36).slice(2, 10)}`;
  const dataDir = await mkdtemp(join(tmpdir(), "gw-bosh-test-"));
  const config = configSchema.parse({
    cluster, domains: ["localhost"], dataDir, log: { level: "silent" },
    heartbeat: { intervalMs: 50, deadAfterMs: 200 },
    gateway: { host: "127.0.0.1", c2sPort: 0, tlsPort: 0, httpPort: 0, drainMs: 500, tls: { required: false }, ...gateway },
  });
  const bus = createMemoryBus();
  const gw = await createGateway({ config, bus, log: createLogger({ service: "connection-gateway", level: "silent" }) });
  await gw.start();
  const http = createServer((req, res) => {
    if (!gw.request(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/http-bind`;
  env = { bus, gateway: gw, http, router: startFakeRouter(bus, subjects(cluster), "r1", { resource: "web" }), url, dataDir };
  return env;
}

afterEach(async () => {
  if (!env) return;
  env.router.kill();
  await env.gateway.stop();
  env.http.closeAllConnections();
  await new Promise((resolve) => env!.http.close(resolve));
  await env.bus.close();
  await rm(env.dataDir, { recursive: true, force: true });
  env = null;
});

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Session request, SASL PLAIN (the fake router accepts it), restart and bind. */
async function login(e: Env, attrs: Record<string, string> = {}): Promise<BoshClient> {
  const c = new BoshClient(e.url);
  await c.create(attrs);
  expect(await c.send(PLAIN)).toBe(`<body ${HB} xmlns:stream='http://etherx.jabber.org/streams'><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></body>`);
  expect(await c.restart()).toBe(
    `<body ${HB} xmlns:stream='http://etherx.jabber.org/streams'><stream:features xmlns:stream='http://etherx.jabber.org/streams'>` +
      '<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/><session xmlns="urn:ietf:params:xml:ns:xmpp-session"><optional/></session>' +
      '<amp xmlns="http://jabber.org/features/amp"/><ver xmlns="urn:xmpp:features:rosterver"/><sub xmlns="urn:xmpp:features:pre-approval"/><csi xmlns="urn:xmpp:csi:0"/></stream:features></body>',
  );
  expect(await c.send(BIND)).toContain("<jid>alice@localhost/web</jid>");
  return c;
}

const connOf = (e: Env) => e.router.received[0]!.conn;
const closedWith = (e: Env, reason: string) => () => e.router.received.some((m) => m.t === "closed" && m.reason === reason);

describe("BOSH session (XEP-0124, XEP-0206)", () => {
  it("answers the session request with the session attributes and the stream features", async () => {
    const e = await setup();
    const c = new BoshClient(e.url, 100);
    const text = await c.create({ wait: "30", hold: "2", ver: "1.6" });
    expect(text).toMatch(new RegExp(
      `^<body ${HB} xmlns:stream='http://etherx.jabber.org/streams' sid='${c.sid}' wait='30' hold='1' requests='2' polling='2' ` +
        "inactivity='60' maxpause='120' ver='1.6' from='localhost' authid='[\\w-]+' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' xmpp:restartlogic='true'>" +
        "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\">" +
        "<mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features></body>$",
    ));
    expect(text).not.toContain("starttls");
  });

  it("logs in (SASL, restart, bind) and carries stanzas both ways, exact", async () => {
    const e = await setup();
    const c = await login(e);
    // Like Strophe: one request is always held; sending a stanza makes the server answer it.
    const poll = c.send();
    await new Promise((r) => setTimeout(r, 50));
    const held = c.send("<message xmlns='jabber:client' to='bob@localhost' id='m1'><body>hi</body></message>");
    expect(await poll).toBe(`<body ${HB}/>`);
    const relayed = () => e.router.received.find((m) => m.t === "stanza" && m.xml.includes("m1"));
    await until(() => relayed() !== undefined);
    expect(relayed()).toMatchObject({ xml: '<message xmlns="jabber:client" to="bob@localhost" id="m1" from="alice@localhost/web"><body>hi</body></message>' });
    // The held request carries what the router delivers.
    e.router.reply(e.gateway.id, { t: "deliver", conn: connOf(e), xml: "<message from='bob@localhost/x' to='alice@localhost/web' id='r1'><body>yo</body></message>" });
    expect(await held).toBe(`<body ${HB} xmlns:stream='http://etherx.jabber.org/streams'><message xmlns='jabber:client' from='bob@localhost/x' to='alice@localhost/web' id='r1'><body>yo</body></message></body>`);
  });

  it("answers a retransmitted rid with the same response (§14.3)", async () => {
    const e = await setup();
    const c = new BoshClient(e.url);
    await c.create();
    const auth = c.next(PLAIN);
    const first = await c.post(auth.text);
    expect(first).toContain("<success");
    expect(await c.post(auth.text)).toBe(first);
    // Only one <auth/> reached the router.
    expect(e.router.received.filter((m) => m.t === "sasl")).toHaveLength(1);
  });

  it("terminates an unknown sid with item-not-found", async () => {
    const e = await setup();
    const c = new BoshClient(e.url);
    c.sid = "nope";
    expect(await c.send()).toBe(`<body ${HB} type='terminate' condition='item-not-found'/>`);
  });

  it("ends the session on a rid beyond the window and tells the router", async () => {
    const e = await setup();
    const c = await login(e);
    c.rid += 5;
    expect(await c.send()).toBe(`<body ${HB} type='terminate' condition='item-not-found'/>`);
    await until(closedWith(e, "disconnected"));
    expect(await c.send()).toBe(`<body ${HB} type='terminate' condition='item-not-found'/>`);
  });

  it("holds a request up to wait and answers it empty", async () => {
    const e = await setup();
    const c = new BoshClient(e.url);
    await c.create({ wait: "1" });
    const started = Date.now();
    expect(await c.send()).toBe(`<body ${HB}/>`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("answers the oldest held request when a new one comes, in rid order", async () => {
    const e = await setup();
    const c = await login(e);
    const first = c.send();
    await new Promise((r) => setTimeout(r, 50));
    const second = c.send();
    expect(await first).toBe(`<body ${HB}/>`);
    e.router.reply(e.gateway.id, { t: "deliver", conn: connOf(e), xml: "<presence from='bob@localhost/x'/>" });
    expect(await second).toContain("<presence xmlns='jabber:client' from='bob@localhost/x'/>");
  });

  it("terminates with policy-violation when the client has more requests open than allowed", async () => {
    const e = await setup();
    const c = await login(e);
    const held = c.send();
    await new Promise((r) => setTimeout(r, 50));
    const gap = c.next();
    const early = c.send(); // arrives before its predecessor: it waits for its turn (§14.2)
    await new Promise((r) => setTimeout(r, 50));
    // The predecessor makes three requests open at once; requests='2'.
    expect(await c.post(gap.text)).toBe(`<body ${HB} type='terminate' condition='policy-violation'/>`);
    expect(await held).toBe(`<body ${HB} type='terminate' condition='policy-violation'/>`);
    expect(await early).toBe(`<body ${HB} type='terminate' condition='policy-violation'/>`);
    await until(closedWith(e, "disconnected"));
  });

  it("closes an inactive session like a dropped connection: the router is told", async () => {
    const e = await setup({ bosh: { inactivitySeconds: 1 } });
    const c = new BoshClient(e.url);
    await c.create({ wait: "1" });
    await c.send(PLAIN);
    await until(closedWith(e, "disconnected"), 4000);
    expect(await c.send()).toBe(`<body ${HB} type='terminate' condition='item-not-found'/>`);
  });

  it("lets a client pause up to maxpause (§12) and refuses a longer pause with policy-violation", async () => {
    const e = await setup({ bosh: { inactivitySeconds: 1, maxPauseSeconds: 3 } });
    const c = await login(e, { wait: "1" });
    const held = c.send();
    await new Promise((r) => setTimeout(r, 50));
    expect(await c.send("", { pause: "2" })).toBe(`<body ${HB}/>`);
    expect(await held).toBe(`<body ${HB}/>`);
    await new Promise((r) => setTimeout(r, 1500)); // longer than inactivity, shorter than the pause
    expect(await c.send()).toBe(`<body ${HB}/>`);
    expect(await c.send("", { pause: "4" })).toBe(`<body ${HB} type='terminate' condition='policy-violation'/>`);
  });

  it("forwards the payload of a client terminate, answers terminate and tells the router", async () => {
    const e = await setup();
    const c = await login(e);
    const answer = await c.send("<presence xmlns='jabber:client' type='unavailable'/>", { type: "terminate" });
    expect(answer).toBe(`<body ${HB} type='terminate'/>`);
    await until(closedWith(e, "stream closed by client"));
    expect(e.router.received.some((m) => m.t === "stanza" && m.xml.includes("unavailable"))).toBe(true);
  });
});

describe("BOSH limits and HTTP", () => {
  it("refuses a plain session while TLS is required", async () => {
    const e = await setup({ tls: { required: true } });
    const text = await new BoshClient(e.url).create();
    expect(text).toBe(
      `<body ${HB} xmlns:stream='http://etherx.jabber.org/streams' type='terminate' condition='policy-violation'><stream:error xmlns:stream="http://etherx.jabber.org/streams">` +
        '<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">TLS is required: connect over TLS</text></stream:error></body>',
    );
  });

  it("offers SASL on a plain session while TLS is required when an ingress terminates TLS", async () => {
    const e = await setup({ tls: { required: true }, websocket: { tlsTerminatedByProxy: true } });
    const text = await new BoshClient(e.url).create();
    expect(text).toContain('<mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl">');
    expect(text).not.toContain("terminate");
  });

  it("closes a stalled negotiation with connection-timeout on the next request", async () => {
    const e = await setup({ limits: { negotiationStepMs: 300 } });
    const c = new BoshClient(e.url);
    await c.create();
    expect(await c.send()).toBe(
      `<body ${HB} xmlns:stream='http://etherx.jabber.org/streams' type='terminate' condition='remote-stream-error'>` +
        '<stream:error xmlns:stream="http://etherx.jabber.org/streams"><connection-timeout xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error></body>',
    );
  });

  it("counts sessions against connectionsPerIp", async () => {
    const e = await setup({ limits: { connectionsPerIp: 1 } });
    await new BoshClient(e.url).create();
    expect(await new BoshClient(e.url).create()).toMatch(/type='terminate' condition='policy-violation'><stream:error[^>]*><policy-violation /);
  });

  it("applies the pre-authentication stanza limit to a body", async () => {
    const e = await setup();
    const c = new BoshClient(e.url);
    await c.create();
    const big = `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${"A".repeat(10_000)}</auth>`;
    expect(await c.send(big)).toBe(`<body ${HB} type='terminate' condition='policy-violation'/>`);
    expect(await c.send()).toBe(`<body ${HB} type='terminate' condition='item-not-found'/>`);
  });

  it("closes a session that does not collect its deliveries with resource-constraint (outbound queue)", async () => {
    const e = await setup({ limits: { outboundStanzas: 50 } });
    await login(e);
    for (let i = 0; i < 60; i++) {
      e.router.reply(e.gateway.id, { t: "deliver", conn: connOf(e), xml: `<message from='bob@localhost/x' id='q${i}'><body>${i}</body></message>` });
    }
    await until(closedWith(e, "resource-constraint"));
  });

  it("slows a fast sender down by holding its bodies back, without dropping anything", async () => {
    const e = await setup({ limits: { bytesPerSecond: 2000, bytesBurst: 1000 } });
    const c = await login(e);
    const started = Date.now();
    const message = (id: string) => c.send(`<message xmlns='jabber:client' to='bob@localhost' id='${id}'><body>${"z".repeat(900)}</body></message>`);
    // Like a client with requests='2': a third request only once one of the two is answered.
    const p = message("p");
    const q = message("q");
    await p;
    void message("r");
    const messages = () => e.router.received.filter((m) => m.t === "stanza" && m.xml.startsWith("<message"));
    await until(() => messages().length === 3, 6000);
    expect(messages().map((m) => /id="(\w)"/.exec((m as { xml: string }).xml)?.[1])).toEqual(["p", "q", "r"]);
    // Three ~1 KB bodies over a 1 KB burst at 2 KB/s: reading must have been held for about a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    e.router.reply(e.gateway.id, { t: "deliver", conn: connOf(e), xml: "<message from='bob@localhost/x' id='done'/>" });
    // The oldest held request carries the next delivery.
    expect(await q).toContain("id='done'");
  });

  it("answers bad XML with bad-request", async () => {
    const e = await setup();
    expect(await new BoshClient(e.url).post("<body xmlns='http://jabber.org/protocol/httpbind' rid='1'")).toBe(`<body ${HB} type='terminate' condition='bad-request'/>`);
    expect(await new BoshClient(e.url).post("<body rid='1'/>")).toBe(`<body ${HB} type='terminate' condition='bad-request'/>`);
  });

  it("answers the CORS preflight and refuses GET", async () => {
    const e = await setup();
    const pre = await fetch(e.url, { method: "OPTIONS", headers: { origin: "https://web.example", "access-control-request-method": "POST" } });
    expect(pre.status).toBe(200);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-methods")).toBe("POST, OPTIONS");
    expect(pre.headers.get("access-control-allow-headers")).toBe("Content-Type");
    const get = await fetch(e.url);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("terminates every session with system-shutdown on drain and tells the router", async () => {
    const e = await setup();
    const c = await login(e);
    const held = c.send();
    await new Promise((r) => setTimeout(r, 50));
    await e.gateway.stop();
    expect(await held).toMatch(/^<body [^>]*type='terminate' condition='system-shutdown'><stream:error[^>]*><system-shutdown /);
    await until(closedWith(e, "system-shutdown"));
  });
});
