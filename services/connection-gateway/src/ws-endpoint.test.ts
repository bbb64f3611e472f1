import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createMemoryBus, subjects, type Bus } from "@xmppd/bus";
import { configSchema } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { createGateway, type Gateway } from "./gateway.ts";
import { startFakeRouter, type FakeRouter } from "./testing/fake-router.ts";

const OPEN = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>";
const CLOSE = "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>";

interface Env {
  bus: Bus;
  gateway: Gateway;
  http: Server;
  router: FakeRouter;
  sockets: WebSocket[];
  dataDir: string;
}

let env: Env | null = null;

async function setup(gateway: Record<string, unknown> = {}): Promise<Env> {
  const cluster = `wst-${Math.random().toString(36).slice(2, 10)}`;
  const dataDir = await mkdtemp(join(tmpdir(), "gw-ws-test-"));
  const config = configSchema.parse({
    cluster, domains: ["localhost"], dataDir, log: { level: "silent" },
    heartbeat: { intervalMs: 50, deadAfterMs: 200 },
    gateway: { host: "127.0.0.1", c2sPort: 0, tlsPort: 0, httpPort: 0, drainMs: 500, tls: { required: false }, ...gateway },
  });
  const bus = createMemoryBus();
  const gw = await createGateway({ config, bus, log: createLogger({ service: "connection-gateway", level: "silent" }) });
  await gw.start();
  const http = createServer((_req, res) => res.end());
  http.on("upgrade", gw.upgrade);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  env = { bus, gateway: gw, http, router: startFakeRouter(bus, subjects(cluster), "r1"), sockets: [], dataDir };
  return env;
}

afterEach(async () => {
  if (!env) return;
  for (const ws of env.sockets) ws.terminate();
  env.router.kill();
  await env.gateway.stop();
  env.http.closeAllConnections();
  await new Promise((resolve) => env!.http.close(resolve));
  await env.bus.close();
  await rm(env.dataDir, { recursive: true, force: true });
  env = null;
});

/** A connected WebSocket with the messages it receives and its close code. */
async function connect(e: Env): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<number> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${(e.http.address() as AddressInfo).port}/xmpp-websocket`, ["xmpp"]);
  e.sockets.push(ws);
  const messages: string[] = [];
  ws.on("message", (data) => messages.push(String(data)));
  const closed = new Promise<number>((resolve) => ws.on("close", resolve));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return { ws, messages, closed };
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens, authenticates (the fake router accepts any <auth/>), restarts and binds. */
async function login(e: Env): Promise<Awaited<ReturnType<typeof connect>>> {
  const c = await connect(e);
  c.ws.send(OPEN);
  c.ws.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>");
  await until(() => c.messages.some((m) => m.startsWith("<success")));
  c.ws.send(OPEN);
  c.ws.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  await until(() => c.messages.some((m) => m.includes("<jid>alice@localhost/phone</jid>")));
  return c;
}

const errorThenClose = (messages: string[], condition: string) => {
  const at = messages.findIndex((m) => m.startsWith("<stream:error"));
  expect(messages[at]).toMatch(new RegExp(`<${condition} xmlns=.urn:ietf:params:xml:ns:xmpp-streams./>`));
  expect(messages[at + 1]).toBe(CLOSE);
};

describe("WebSocket transport limits (the TCP ones apply)", () => {
  it("refuses a plain ws:// stream with <policy-violation/> while TLS is required", async () => {
    const e = await setup({ tls: { required: true } });
    const c = await connect(e);
    c.ws.send(OPEN);
    expect(await c.closed).toBe(1000);
    expect(c.messages[0]).toMatch(/^<open /);
    errorThenClose(c.messages, "policy-violation");
  });

  it("offers SASL on ws:// while TLS is required when an ingress terminates TLS", async () => {
    const e = await setup({ tls: { required: true }, websocket: { tlsTerminatedByProxy: true } });
    const c = await connect(e);
    c.ws.send(OPEN);
    await until(() => c.messages.length >= 2);
    expect(c.messages[1]).toMatch(/<mechanisms xmlns=.urn:ietf:params:xml:ns:xmpp-sasl.>/);
    expect(c.messages[1]).not.toMatch(/starttls/);
  });

  it("refuses connections beyond connectionsPerIp with <policy-violation/> (counted with TCP)", async () => {
    const e = await setup({ limits: { connectionsPerIp: 1 } });
    await connect(e);
    const second = await connect(e);
    expect(await second.closed).toBe(1000);
    errorThenClose(second.messages, "policy-violation");
  });

  it("closes a stalled negotiation with <connection-timeout/>", async () => {
    const e = await setup({ limits: { negotiationStepMs: 150 } });
    const c = await connect(e);
    c.ws.send(OPEN);
    expect(await c.closed).toBe(1000);
    errorThenClose(c.messages, "connection-timeout");
  });

  it("sends <system-shutdown/> then <close/> on drain and tells the router", async () => {
    const e = await setup();
    const c = await connect(e);
    c.ws.send(OPEN);
    c.ws.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>");
    await until(() => c.messages.some((m) => m.startsWith("<success")));
    await e.gateway.stop();
    expect(await c.closed).toBe(1000);
    errorThenClose(c.messages, "system-shutdown");
    await until(() => e.router.received.some((m) => m.t === "closed" && m.reason === "system-shutdown"));
  });

  it("slows a fast sender down by pausing reads, without dropping anything", async () => {
    const e = await setup({ limits: { bytesPerSecond: 2000, bytesBurst: 1000 } });
    const c = await login(e);
    const started = Date.now();
    for (const id of ["p", "q", "r", "s"]) {
      c.ws.send(`<message xmlns='jabber:client' to='bob@localhost' id='${id}'><body>${"z".repeat(1000)}</body></message>`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const messages = () => e.router.received.filter((m) => m.t === "stanza" && m.xml.startsWith("<message"));
    await until(() => messages().length === 4, 6000);
    // Four ~1 KB messages over a 1 KB burst at 2 KB/s: reading must have been held for about a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  });

  it("closes a client that stops reading with <resource-constraint/>", async () => {
    const e = await setup({ limits: { outboundBytes: 64 * 1024, outboundStanzas: 1_000_000 } });
    const c = await login(e);
    c.ws.pause();
    const conn = e.router.received[0]!.conn;
    const body = "x".repeat(1024);
    for (let i = 0; i < 20_000 && !e.router.received.some((m) => m.t === "closed"); i++) {
      e.router.reply(e.gateway.id, { t: "deliver", conn, xml: `<message id='f${i}'><body>${body}</body></message>` });
      if (i % 1000 === 999) await new Promise((res) => setTimeout(res, 1));
    }
    await until(() => e.router.received.some((m) => m.t === "closed" && m.reason === "resource-constraint"), 5000);
  });

  it("sends a WebSocket client elsewhere with <close see-other-uri/> when the gateway drains (RFC 7395 §3.6.1)", async () => {
    const e = await setup({ websocket: { seeOtherUri: "wss://other.example/xmpp-websocket" } });
    const c = await login(e);
    await e.gateway.stop();
    expect(await c.closed).toBe(1000);
    expect(c.messages.at(-1)).toBe(`<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" see-other-uri="wss://other.example/xmpp-websocket"/>`);
    expect(c.messages.some((m) => m.startsWith("<stream:error"))).toBe(false);
    await until(() => e.router.received.some((m) => m.t === "closed"));
    expect(e.router.received.find((m) => m.t === "closed")).toMatchObject({ reason: "see-other-uri" });
  });

  it("answers anything but /xmpp-websocket with 404", async () => {
    const e = await setup();
    const ws = new WebSocket(`ws://127.0.0.1:${(e.http.address() as AddressInfo).port}/other`, ["xmpp"]);
    const status = await new Promise<number>((resolve) => ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(404);
  });
});
