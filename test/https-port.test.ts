// The gateway process's HTTPS port (gateway.httpsPort): wss:// with the configured certificate
// while TLS is required, the same certificate reloaded on SIGHUP for new connections without
// dropping an open wss:// session, and XEP-0156 host-meta naming the wss:// and https:// URLs.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
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
  { gateways: 2, tlsRequired: true, env: { XMPPD__gateway__tls__certFile: certFile, XMPPD__gateway__tls__keyFile: keyFile } },
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
