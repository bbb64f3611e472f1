// The HTTPS port: wss:// and BOSH over TLS count as secure (SASL offered while TLS is required,
// never STARTTLS), the certificate is the direct TLS one and a reload reaches new connections,
// only the XMPP endpoints are served, and XEP-0156 host-meta names the URLs of each port.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { connect as netConnect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { generate } from "selfsigned";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createMemoryBus, subjects, type Bus } from "@xmppd/bus";
import { configSchema } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { serverEndPoint } from "./channel-binding.ts";
import { createGateway, type Gateway } from "./gateway.ts";
import { BoshClient } from "./testing/bosh-client.ts";
import { startFakeRouter, type FakeRouter } from "./testing/fake-router.ts";

const OPEN = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>";
const insecure = { rejectUnauthorized: false };

interface Env {
  bus: Bus;
  gateway: Gateway;
  http: Server;
  router: FakeRouter;
  dataDir: string;
  sockets: WebSocket[];
}

let env: Env | null = null;

async function setup(gateway: Record<string, unknown> = {}, dataDir?: string, top: Record<string, unknown> = {}): Promise<Env> {
  const cluster = `hts-${Math.random().toString(36).slice(2, 10)}`;
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), "gw-https-test-")));
  const config = configSchema.parse({
    cluster, domains: ["localhost"], dataDir: dir, log: { level: "silent" },
    heartbeat: { intervalMs: 50, deadAfterMs: 200 },
    gateway: { host: "127.0.0.1", c2sPort: 0, tlsPort: 0, httpPort: 0, httpsPort: 0, drainMs: 500, tls: { required: true }, ...gateway },
    ...top,
  });
  const bus = createMemoryBus();
  const gw = await createGateway({ config, bus, log: createLogger({ service: "connection-gateway", level: "silent" }) });
  await gw.start();
  await gw.listenHttps();
  // The plain HTTP port as main.ts wires it (without the ops endpoints).
  const http = createServer((req, res) => void (gw.request(req, res) || res.writeHead(404).end()));
  http.on("upgrade", gw.upgrade);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  env = { bus, gateway: gw, http, router: startFakeRouter(bus, subjects(cluster), "r1"), dataDir: dir, sockets: [] };
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

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function wss(e: Env): Promise<{ ws: WebSocket; messages: string[]; tls: TLSSocket }> {
  const ws = new WebSocket(`wss://127.0.0.1:${e.gateway.httpsPort()}/xmpp-websocket`, ["xmpp"], insecure);
  e.sockets.push(ws);
  const messages: string[] = [];
  ws.on("message", (data) => messages.push(String(data)));
  const upgraded = new Promise<TLSSocket>((resolve) => ws.once("upgrade", (res) => resolve(res.socket as TLSSocket)));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return { ws, messages, tls: await upgraded };
}

/** The SHA-256 fingerprint of the certificate a new TLS connection to `port` is shown. */
async function fingerprint(port: number, alpn: string): Promise<string> {
  const socket = tlsConnect({ host: "127.0.0.1", port, ...insecure, ALPNProtocols: [alpn] });
  await new Promise((resolve, reject) => socket.once("secureConnect", resolve).once("error", reject));
  const found = socket.getPeerCertificate().fingerprint256;
  socket.destroy();
  return found;
}

async function selfSignedFiles(dir: string, name: string): Promise<{ certFile: string; keyFile: string }> {
  const pems = await generate([{ name: "commonName", value: name }], { keyType: "ec", algorithm: "sha256" });
  await writeFile(join(dir, "gw.crt"), pems.cert);
  await writeFile(join(dir, "gw.key"), pems.private);
  return { certFile: join(dir, "gw.crt"), keyFile: join(dir, "gw.key") };
}

/** Fetch over HTTPS with the test's self-signed certificate (undici has no per-call switch). */
async function httpsGet(url: string, init: RequestInit = {}): Promise<{ status: number; type: string | null; body: string; cors: string | null }> {
  const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
    return { status: res.status, type: res.headers.get("content-type"), body: await res.text(), cors: res.headers.get("access-control-allow-origin") };
  } finally {
    if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
  }
}

describe("the HTTPS port (wss://, BOSH over TLS)", () => {
  it("a wss:// stream is secure: SASL (PLAIN too) while TLS is required, no STARTTLS; login and bind work", async () => {
    const e = await setup();
    const c = await wss(e);
    c.ws.send(OPEN);
    await until(() => c.messages.length >= 2);
    expect(c.messages[0]).toMatch(/^<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='localhost' /);
    expect(c.messages[1]).toMatch(/<mechanism>PLAIN<\/mechanism>/);
    expect(c.messages[1]).not.toMatch(/starttls/);
    c.ws.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>");
    await until(() => c.messages.some((m) => m.startsWith("<success")));
    c.ws.send(OPEN);
    c.ws.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
    await until(() => c.messages.some((m) => m.includes("<jid>alice@localhost/phone</jid>")));
  });

  it("offers SCRAM-*-PLUS on wss:// and relays the bindings of the client's own TLS connection with <auth/>", async () => {
    const e = await setup({}, undefined, { sasl: { mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"] } });
    const c = await wss(e);
    c.ws.send(OPEN);
    await until(() => c.messages.length >= 2);
    expect(c.messages[1]).toMatch(/<mechanism>SCRAM-SHA-256-PLUS<\/mechanism><mechanism>SCRAM-SHA-256<\/mechanism><\/mechanisms>/);
    c.ws.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256-PLUS'>cD10bHMtZXhwb3J0ZXIsLG49YWxpY2Uscj1ub25jZQ==</auth>");
    await until(() => e.router.received.some((m) => m.t === "sasl"));
    const relayed = e.router.received.find((m) => m.t === "sasl");
    const exporter = c.tls.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
    expect(relayed && "cb" in relayed ? relayed.cb : undefined).toEqual([
      { type: "tls-exporter", data: exporter.toString("base64") },
      { type: "tls-server-end-point", data: serverEndPoint(c.tls.getPeerX509Certificate()!.raw).toString("base64") },
    ]);
  });

  it("offers no -PLUS mechanism on ws:// behind a TLS-terminating ingress: the binding would be the ingress's", async () => {
    const e = await setup({ websocket: { tlsTerminatedByProxy: true } }, undefined, { sasl: { mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"] } });
    const ws = new WebSocket(`ws://127.0.0.1:${(e.http.address() as AddressInfo).port}/xmpp-websocket`, ["xmpp"]);
    e.sockets.push(ws);
    const messages: string[] = [];
    ws.on("message", (data) => messages.push(String(data)));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    ws.send(OPEN);
    await until(() => messages.length >= 2);
    expect(messages[1]).toMatch(/<mechanisms xmlns=.urn:ietf:params:xml:ns:xmpp-sasl.><mechanism>SCRAM-SHA-256<\/mechanism><\/mechanisms>/);
  });

  it("the same stream on the plain port is refused while TLS is required", async () => {
    const e = await setup();
    const ws = new WebSocket(`ws://127.0.0.1:${(e.http.address() as AddressInfo).port}/xmpp-websocket`, ["xmpp"]);
    e.sockets.push(ws);
    const messages: string[] = [];
    ws.on("message", (data) => messages.push(String(data)));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    ws.send(OPEN);
    await until(() => messages.some((m) => m.startsWith("<stream:error")));
    expect(messages.find((m) => m.startsWith("<stream:error"))).toBe(
      `<stream:error xmlns:stream="http://etherx.jabber.org/streams"><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">TLS is required: connect over TLS</text></stream:error>`,
    );
  });

  it("a BOSH session over https:// is secure: its first features offer SASL while TLS is required", async () => {
    const e = await setup();
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    try {
      const bosh = new BoshClient(`https://127.0.0.1:${e.gateway.httpsPort()}/http-bind`);
      const created = await bosh.create();
      expect(created).toMatch(/<stream:features[^>]*><mechanisms xmlns=.urn:ietf:params:xml:ns:xmpp-sasl.>.*<mechanism>PLAIN<\/mechanism>/);
      expect(created).not.toMatch(/starttls/);
      const plain = new BoshClient(`http://127.0.0.1:${(e.http.address() as AddressInfo).port}/http-bind`);
      expect(await plain.create()).not.toMatch(/<mechanisms/);
    } finally {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
    }
  });

  it("shows the direct TLS certificate, and a reload reaches new connections", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gw-https-cert-"));
    const files = await selfSignedFiles(dir, "first.example");
    const e = await setup({ tls: { required: true, ...files } }, dir);
    const first = await fingerprint(e.gateway.httpsPort(), "http/1.1");
    expect(await fingerprint(e.gateway.tlsPort(), "xmpp-client")).toBe(first);
    await selfSignedFiles(dir, "second.example");
    await e.gateway.reloadTls();
    const second = await fingerprint(e.gateway.httpsPort(), "http/1.1");
    expect(second).not.toBe(first);
    expect(await fingerprint(e.gateway.tlsPort(), "xmpp-client")).toBe(second);
  });

  it("serves only the XMPP endpoints: /metrics is 404 here", async () => {
    const e = await setup();
    const res = await httpsGet(`https://127.0.0.1:${e.gateway.httpsPort()}/metrics`);
    expect(res.status).toBe(404);
  });

  it("closes on stop even with an idle keep-alive connection open", async () => {
    const e = await setup();
    await httpsGet(`https://127.0.0.1:${e.gateway.httpsPort()}/metrics`, { headers: { connection: "keep-alive" } });
    const started = Date.now();
    await e.gateway.stop();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("XEP-0156 host-meta", () => {
  it("on the HTTPS port names the wss:// and https:// URLs, in XRD and in JSON", async () => {
    const e = await setup();
    const base = `127.0.0.1:${e.gateway.httpsPort()}`;
    const xrd = await httpsGet(`https://${base}/.well-known/host-meta`);
    expect(xrd).toEqual({
      status: 200,
      type: "application/xrd+xml; charset=utf-8",
      cors: "*",
      body: [
        "<?xml version='1.0' encoding='utf-8'?>",
        "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>",
        `  <Link rel='urn:xmpp:alt-connections:websocket' href='wss://${base}/xmpp-websocket'/>`,
        `  <Link rel='urn:xmpp:alt-connections:xbosh' href='https://${base}/http-bind'/>`,
        "</XRD>",
        "",
      ].join("\n"),
    });
    const json = await httpsGet(`https://${base}/.well-known/host-meta.json`);
    expect({ status: json.status, type: json.type }).toEqual({ status: 200, type: "application/json" });
    expect(JSON.parse(json.body)).toEqual({
      links: [
        { rel: "urn:xmpp:alt-connections:websocket", href: `wss://${base}/xmpp-websocket` },
        { rel: "urn:xmpp:alt-connections:xbosh", href: `https://${base}/http-bind` },
      ],
    });
  });

  it.each([
    [false, "ws", "http"],
    [true, "wss", "https"],
  ])("on the plain port (tlsTerminatedByProxy %s) names %s:// and %s:// at the Host asked for", async (behindProxy, ws, http) => {
    const e = await setup({ websocket: { tlsTerminatedByProxy: behindProxy } });
    const res = await rawRequest((e.http.address() as AddressInfo).port, "GET /.well-known/host-meta.json HTTP/1.1\r\nHost: chat.example.org\r\nConnection: close\r\n\r\n");
    expect(res).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(res.slice(res.indexOf("\r\n\r\n") + 4))).toEqual({
      links: [
        { rel: "urn:xmpp:alt-connections:websocket", href: `${ws}://chat.example.org/xmpp-websocket` },
        { rel: "urn:xmpp:alt-connections:xbosh", href: `${http}://chat.example.org/http-bind` },
      ],
    });
  });

  it("refuses a Host it would not put in a URL, and anything but GET", async () => {
    const e = await setup();
    const port = (e.http.address() as AddressInfo).port;
    const bad = await rawRequest(port, "GET /.well-known/host-meta HTTP/1.1\r\nHost: evil.example/x?<a>\r\nConnection: close\r\n\r\n");
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    const post = await fetch(`http://127.0.0.1:${port}/.well-known/host-meta`, { method: "POST" });
    expect({ status: post.status, allow: post.headers.get("allow") }).toEqual({ status: 405, allow: "GET, HEAD" });
  });
});

/** A hand-written HTTP request, for headers fetch() would not send. */
async function rawRequest(port: number, text: string): Promise<string> {
  const socket = netConnect(port, "127.0.0.1");
  let data = "";
  socket.on("data", (d) => (data += d.toString("utf8")));
  socket.write(text);
  await new Promise((resolve) => socket.once("close", resolve));
  return data;
}
