// Direct TLS (XEP-0368) on the gateway's second port: the TLS handshake comes first (ALPN
// xmpp-client), the stream starts secure and offers SASL at once. Users on it chat with a
// STARTTLS user on another gateway; the certificate is reloaded on SIGHUP without dropping them.
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { waitFor } from "@xmppd/testkit";
import type { Element } from "@xmppd/xml";
import { generate } from "selfsigned";
import { afterAll, describe, expect, it } from "vitest";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml, xmppClient } from "./support/clients.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "xmppd-direct-tls-"));
const certFile = join(dir, "cert.pem");
const keyFile = join(dir, "key.pem");
const firstCert = await writeCertificate();

const cluster = useCluster(
  { gateways: 2, tlsRequired: true, env: { XMPPD__gateway__tls__certFile: certFile, XMPPD__gateway__tls__keyFile: keyFile } },
  ["alice", "bob", "sam"],
);
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
});

/** A fresh self-signed certificate for localhost in certFile/keyFile; returns its SHA-256 fingerprint. */
async function writeCertificate(): Promise<string> {
  const pems = await generate([{ name: "commonName", value: "localhost" }], { keyType: "ec", algorithm: "sha256" });
  writeFileSync(keyFile, pems.private);
  writeFileSync(certFile, pems.cert);
  return new X509Certificate(pems.cert).fingerprint256;
}

function tlsPort(gateway: number): number {
  return cluster.topo.of("gateway")[gateway]!.tlsPort;
}

/** A raw TLS connection offering ALPN xmpp-client, trusting any certificate. */
function rawTls(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", ALPNProtocols: ["xmpp-client"], rejectUnauthorized: false }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** @xmpp/client over xmpps:// (direct TLS), with its inbox. */
async function loginDirectTls(gateway: number, username: string, resource: string) {
  const xmpp = xmppClient({ service: `xmpps://127.0.0.1:${tlsPort(gateway)}`, domain: "localhost", username, password: `${username}-pw`, resource });
  xmpp.reconnect.stop();
  xmpp.on("error", () => undefined);
  const inbox: Element[] = [];
  xmpp.on("stanza", (el: Element) => inbox.push(el));
  const jid = String(await xmpp.start());
  stops.push(() => xmpp.stop());
  await xmpp.send(xml("presence"));
  const next = (match: (el: Element) => boolean) => waitFor(() => inbox.find(match), { timeoutMs: 10_000, what: "a stanza" });
  return { jid, send: (el: Element) => xmpp.send(el), next, socket: () => (xmpp as unknown as { socket: { socket: TLSSocket } }).socket.socket };
}

const plainMessage = (el: Element) => ({ name: el.name, attrs: el.attrs, children: el.children.map(String) });

describe("direct TLS (XEP-0368)", () => {
  it("negotiates ALPN xmpp-client and TLS 1.2+, then offers SASL at once and no STARTTLS", async () => {
    const socket = await rawTls(tlsPort(0));
    expect(socket.alpnProtocol).toBe("xmpp-client");
    expect(["TLSv1.2", "TLSv1.3"]).toContain(socket.getProtocol());
    expect(socket.getPeerX509Certificate()?.fingerprint256).toBe(firstCert);
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString("utf8")));
    socket.write("<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
    await waitFor(() => text.includes("</stream:features>"), { what: "stream features" });
    expect(text).toMatch(/<mechanisms xmlns=.urn:ietf:params:xml:ns:xmpp-sasl.><mechanism>SCRAM-SHA-256<\/mechanism>/);
    expect(text).not.toMatch(/starttls/);
    const metrics = await (await fetch(`http://127.0.0.1:${cluster.topo.of("gateway")[0]!.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/^xmpp_gateway_connections\{transport="tls"\} [1-9]\d*$/m);
    socket.destroy();
  });

  it("accepts a handshake that offers no ALPN protocol", async () => {
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ host: "127.0.0.1", port: tlsPort(0), servername: "localhost", rejectUnauthorized: false }, () => resolve(s));
      s.once("error", reject);
    });
    expect(socket.alpnProtocol).toBe(false);
    socket.destroy();
  });

  it("drops a client that speaks plain XML to the TLS port, and keeps serving", async () => {
    const plain = tcpConnect(tlsPort(0), "127.0.0.1");
    plain.on("error", () => undefined);
    plain.write("<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
    await new Promise((resolve) => plain.once("close", resolve));
    const socket = await rawTls(tlsPort(0));
    expect(socket.alpnProtocol).toBe("xmpp-client");
    socket.destroy();
  });

  it("alice on direct TLS and bob on STARTTLS at another gateway exchange messages", async () => {
    const alice = await loginDirectTls(0, "alice", "tls");
    expect(alice.jid).toBe("alice@localhost/tls");
    const bob = await cluster.login(1, "bob", { resource: "tcp" });
    await alice.send(xml("message", { to: "bob@localhost/tcp", type: "chat", id: "t1" }, xml("body", {}, "over direct TLS")));
    const got = await bob.next(isChat("alice@localhost"));
    expect(plainMessage(got)).toEqual({
      name: "message",
      attrs: { xmlns: "jabber:client", to: "bob@localhost/tcp", type: "chat", id: "t1", from: "alice@localhost/tls" },
      children: ["<body>over direct TLS</body>"],
    });
    await bob.send(xml("message", { to: "alice@localhost/tls", type: "chat", id: "t2" }, xml("body", {}, "over STARTTLS")));
    const reply = await alice.next(isChat("bob@localhost"));
    expect(plainMessage(reply)).toEqual({
      name: "message",
      attrs: { xmlns: "jabber:client", to: "alice@localhost/tls", type: "chat", id: "t2", from: "bob@localhost/tcp" },
      children: ["<body>over STARTTLS</body>"],
    });
  });

  it("reloads the certificate on SIGHUP: new connections see the new one, open sessions keep chatting", async () => {
    const alice = await loginDirectTls(0, "alice", "before-reload");
    const bob = await cluster.login(1, "bob", { resource: "watcher" });
    const oldSocket = alice.socket();
    expect(oldSocket.getPeerX509Certificate()?.fingerprint256).toBe(firstCert);
    const secondCert = await writeCertificate();
    expect(secondCert).not.toBe(firstCert);
    const gateway = cluster.topo.of("gateway")[0]!;
    gateway.child.kill("SIGHUP");
    await waitFor(async () => {
      const socket = await rawTls(tlsPort(0));
      const seen = socket.getPeerX509Certificate()?.fingerprint256;
      socket.destroy();
      return seen === secondCert;
    }, { timeoutMs: 10_000, what: "the new certificate on a new connection" });
    expect(gateway.child.exitCode).toBeNull();
    // The session opened before the reload is still up on its first handshake, and chats both ways.
    expect(alice.socket()).toBe(oldSocket);
    expect(oldSocket.destroyed).toBe(false);
    await alice.send(xml("message", { to: "bob@localhost/watcher", type: "chat", id: "after" }, xml("body", {}, "still here")));
    expect((await bob.next(isChat("alice@localhost/before-reload"))).getChildText("body")).toBe("still here");
    await bob.send(xml("message", { to: "alice@localhost/before-reload", type: "chat", id: "after-reply" }, xml("body", {}, "welcome back")));
    expect((await alice.next((el) => el.attrs.id === "after-reply")).getChildText("body")).toBe("welcome back");
    // A new client logs in over the reloaded certificate too.
    const again = await loginDirectTls(0, "alice", "after-reload");
    expect(again.socket().getPeerX509Certificate()?.fingerprint256).toBe(secondCert);
  });

  it("slixmpp logs in over direct TLS and chats with an @xmpp/client user", async () => {
    const alice = await cluster.login(0, "alice", { resource: "js" });
    const replied = alice.next(isChat("sam@localhost")).then(async (m) => {
      await alice.send(xml("message", { to: m.attrs.from, type: "chat", id: "pong" }, xml("body", {}, `re: ${m.getChildText("body")}`)));
      return m;
    });
    const args = ["test/peers/slixmpp_chat.py", "sam@localhost/py", "sam-pw", String(tlsPort(1)), "alice@localhost/js", "hello over direct TLS", "direct-tls"];
    const { stdout } = await run("/usr/bin/python3", args, { timeout: 40_000 });
    const result = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(result).toMatchObject({ error: null, tls: true, bound: "sam@localhost/py", reply: "re: hello over direct TLS", reply_from: "alice@localhost/js" });
    expect(result.mechanism).toMatch(/^SCRAM-SHA-(1|256)$/);
    const received = await replied;
    expect(received.attrs.from).toBe("sam@localhost/py");
    expect(received.getChildText("body")).toBe("hello over direct TLS");
  });
});
