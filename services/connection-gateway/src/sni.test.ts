// One certificate per domain (gateway.tls.certificates): a direct TLS or HTTPS client gets the
// certificate naming the host it asks for with SNI, a STARTTLS client the one naming its stream's
// domain (it may send no SNI at all); any other name gets the default certificate.
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryBus, subjects, type Bus } from "@xmppd/bus";
import { configSchema } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { createGateway, type Gateway } from "./gateway.ts";
import { startFakeRouter, type FakeRouter } from "./testing/fake-router.ts";

let dir: string;
let bus: Bus;
let gateway: Gateway;
let router: FakeRouter;

async function certificate(name: string): Promise<{ certFile: string; keyFile: string }> {
  const pems = await generate([{ name: "commonName", value: name }], {
    keyType: "ec", algorithm: "sha256", extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: name }] }],
  });
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await writeFile(certFile, pems.cert);
  await writeFile(keyFile, pems.private);
  return { certFile, keyFile };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gw-sni-"));
  const main = await certificate("localhost");
  const other = await certificate("example.net");
  const cluster = `sni${Math.random().toString(36).slice(2, 10)}`;
  const config = configSchema.parse({
    cluster, domains: ["localhost", "example.net"], dataDir: dir, log: { level: "silent" },
    heartbeat: { intervalMs: 50, deadAfterMs: 200 },
    gateway: { host: "127.0.0.1", c2sPort: 0, tlsPort: 0, httpPort: 0, httpsPort: 0, tls: { ...main, certificates: [other] } },
  });
  bus = createMemoryBus();
  gateway = await createGateway({ config, bus, log: createLogger({ service: "connection-gateway", level: "silent" }) });
  router = startFakeRouter(bus, subjects(cluster), "r1");
  await gateway.start();
  await gateway.listenHttps();
});

afterAll(async () => {
  router.kill();
  await gateway.stop();
  await bus.close();
  await rm(dir, { recursive: true, force: true });
});

const namesOf = (socket: TLSSocket) => new X509Certificate(socket.getPeerX509Certificate()!.raw).subjectAltName;

function direct(port: number, servername: string | undefined, alpn: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, ...(servername ? { servername } : {}), ALPNProtocols: [alpn], rejectUnauthorized: false }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** STARTTLS on a stream to `domain`, without SNI (the host is an address, so none is sent). */
async function starttls(domain: string): Promise<TLSSocket> {
  const tcp = tcpConnect(gateway.c2sPort(), "127.0.0.1");
  let text = "";
  tcp.on("data", (d: Buffer) => (text += d.toString()));
  tcp.write(`<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`);
  for (let i = 0; !text.includes("</stream:features>"); i++) {
    if (i > 500) throw new Error(`no features: ${text}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  tcp.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  for (let i = 0; !text.includes("<proceed"); i++) {
    if (i > 500) throw new Error(`no proceed: ${text}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  tcp.removeAllListeners("data");
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ socket: tcp, rejectUnauthorized: false }, () => resolve(socket));
    socket.once("error", reject);
  });
}

describe("one certificate per domain", () => {
  it("direct TLS: SNI chooses the certificate naming the host, anything else gets the default", async () => {
    for (const [servername, names] of [["example.net", "DNS:example.net"], ["localhost", "DNS:localhost"], ["unknown.example", "DNS:localhost"], [undefined, "DNS:localhost"]] as const) {
      const socket = await direct(gateway.tlsPort(), servername, "xmpp-client");
      expect([servername, namesOf(socket)]).toEqual([servername, names]);
      socket.destroy();
    }
  });

  it("STARTTLS: the stream's domain chooses, with no SNI", async () => {
    for (const [domain, names] of [["example.net", "DNS:example.net"], ["localhost", "DNS:localhost"]] as const) {
      const socket = await starttls(domain);
      expect([domain, namesOf(socket)]).toEqual([domain, names]);
      socket.destroy();
    }
  });

  it("HTTPS (wss://, BOSH): SNI chooses", async () => {
    const socket = await direct(gateway.httpsPort(), "example.net", "http/1.1");
    expect(namesOf(socket)).toBe("DNS:example.net");
    socket.destroy();
  });
});
