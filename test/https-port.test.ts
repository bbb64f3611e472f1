// The gateway process's HTTPS port (gateway.httpsPort): wss:// with the configured certificate
// while TLS is required, the same certificate reloaded on SIGHUP for new connections without
// dropping an open wss:// session, SCRAM-SHA-256-PLUS bound to the wss:// stream's own TLS
// connection (RFC 9266 tls-exporter) checked by the router, and XEP-0156 host-meta naming the
// wss:// and https:// URLs.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { scramClient } from "@xmppd/sasl";
import { waitFor } from "@xmppd/testkit";
import { generate } from "selfsigned";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { useCluster } from "./support/cluster.ts";
import { connect, isChat, xml } from "./support/clients.ts";

// @xmpp/websocket uses the WHATWG WebSocket, which Node 20 has only behind a flag.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const dir = mkdtempSync(join(tmpdir(), "xmppd-https-"));
const certFile = join(dir, "cert.pem");
const keyFile = join(dir, "key.pem");
const firstCert = await writeCertificate();

const cluster = useCluster(
  {
    gateways: 2, tlsRequired: true,
    env: {
      XMPPD__gateway__tls__certFile: certFile, XMPPD__gateway__tls__keyFile: keyFile,
      XMPPD__sasl__mechanisms: JSON.stringify(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]),
    },
  },
  ["alice", "bob"],
);

async function writeCertificate(): Promise<string> {
  const pems = await generate([{ name: "commonName", value: "localhost" }], { keyType: "ec", algorithm: "sha256" });
  writeFileSync(keyFile, pems.private);
  writeFileSync(certFile, pems.cert);
  return new X509Certificate(pems.cert).fingerprint256;
}

/** The certificate a new TLS connection to `port` is shown, and the ALPN protocol agreed. */
async function handshake(port: number): Promise<{ fingerprint: string | undefined; alpn: string | false | null }> {
  const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
  await new Promise((resolve, reject) => socket.once("secureConnect", resolve).once("error", reject));
  const seen = { fingerprint: socket.getPeerX509Certificate()?.fingerprint256, alpn: socket.alpnProtocol };
  socket.destroy();
  return seen;
}

const OPEN = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>";
const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

/** A raw wss:// stream: its messages, a wait for the next that matches, and its TLS connection. */
async function openWss(port: number): Promise<{ ws: WebSocket; tls: TLSSocket; take(pattern: RegExp): Promise<string> }> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/xmpp-websocket`, ["xmpp"], { rejectUnauthorized: false });
  const messages: string[] = [];
  ws.on("message", (data) => messages.push(String(data)));
  ws.on("error", () => undefined);
  const upgraded = new Promise<TLSSocket>((resolve) => ws.once("upgrade", (res) => resolve(res.socket as TLSSocket)));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  let seen = 0;
  const take = async (pattern: RegExp) => {
    const at = await waitFor(() => {
      const i = messages.findIndex((m, n) => n >= seen && pattern.test(m));
      return i >= 0 ? i + 1 : 0;
    }, { timeoutMs: 10_000, what: `${pattern} on the wss:// stream (got ${messages.join(" | ")})` });
    seen = at;
    return messages[at - 1]!;
  };
  return { ws, tls: await upgraded, take };
}

describe("the gateway's HTTPS port", () => {
  it("serves wss:// with the configured certificate; SIGHUP reloads it for new connections, the open session keeps chatting", async () => {
    const gateway = cluster.topo.of("gateway")[0]!;
    expect(await handshake(gateway.httpsPort)).toEqual({ fingerprint: firstCert, alpn: "http/1.1" });
    const alice = await connect({ port: 0, service: `wss://127.0.0.1:${gateway.httpsPort}/xmpp-websocket`, username: "alice", password: "alice-pw", resource: "wss" });
    const bob = await cluster.login(1, "bob", { resource: "tcp" });
    try {
      expect(alice.jid).toBe("alice@localhost/wss");
      const secondCert = await writeCertificate();
      gateway.child.kill("SIGHUP");
      await waitFor(async () => (await handshake(gateway.httpsPort)).fingerprint === secondCert, { timeoutMs: 10_000, what: "the new certificate on the HTTPS port" });
      expect(gateway.child.exitCode).toBeNull();
      await alice.send(xml("message", { to: "bob@localhost/tcp", type: "chat", id: "h1" }, xml("body", {}, "after the reload")));
      const got = await bob.next(isChat("alice@localhost/wss"));
      expect({ from: got.attrs.from, id: got.attrs.id, body: got.getChildText("body") }).toEqual({ from: "alice@localhost/wss", id: "h1", body: "after the reload" });
      await bob.send(xml("message", { to: "alice@localhost/wss", type: "chat", id: "h2" }, xml("body", {}, "still hearing you")));
      expect((await alice.next((el) => el.attrs.id === "h2")).getChildText("body")).toBe("still hearing you");
    } finally {
      await alice.stop();
    }
  });

  it.each([
    ["the client's own exporter", "<success/>", true, /^<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl">[A-Za-z0-9+/]+=*<\/success>$/],
    ["another connection's exporter", "<failure/>", false, /^<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized\/><\/failure>$/],
  ])("SCRAM-SHA-256-PLUS over wss:// with %s: the router answers %s", async (_what, _answer, own, expected) => {
    const port = cluster.topo.of("gateway")[1]!.httpsPort;
    const framed = await openWss(port);
    const other = own ? undefined : await openWss(port);
    try {
      framed.ws.send(OPEN);
      const features = await framed.take(/<\/stream:features>/);
      expect(features).toMatch(/<mechanism>SCRAM-SHA-256-PLUS<\/mechanism>/);
      expect(features).toMatch(/<channel-binding type=.tls-exporter.\/>/);
      const exporter = (own ? framed : other!).tls.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
      const scram = scramClient("SCRAM-SHA-256", "alice", "alice-pw", { gs2Header: "p=tls-exporter,,", cbindData: exporter });
      framed.ws.send(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-256-PLUS'>${scram.first().toString("base64")}</auth>`);
      const challenge = Buffer.from(/<challenge[^>]*>([^<]*)</.exec(await framed.take(/<\/challenge>/))![1]!, "base64").toString();
      framed.ws.send(`<response xmlns='${SASL}'>${scram.final(challenge).toString("base64")}</response>`);
      const last = await framed.take(/<success|<\/failure>/);
      expect(last).toMatch(expected);
    } finally {
      framed.ws.terminate();
      other?.ws.terminate();
    }
  });

  it("answers XEP-0156 host-meta with its wss:// and https:// URLs", async () => {
    const port = cluster.topo.of("gateway")[1]!.httpsPort;
    // clients.ts accepts the generated test certificates process-wide.
    const res = await fetch(`https://127.0.0.1:${port}/.well-known/host-meta.json`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      links: [
        { rel: "urn:xmpp:alt-connections:websocket", href: `wss://127.0.0.1:${port}/xmpp-websocket` },
        { rel: "urn:xmpp:alt-connections:xbosh", href: `https://127.0.0.1:${port}/http-bind` },
      ],
    });
  });
});
