// SCRAM-*-PLUS with channel binding (RFC 5802 §6): TLS ends at the gateway, which computes the
// binding data (tls-exporter, RFC 9266; tls-server-end-point, RFC 5929 §4.1) and advertises the
// types (XEP-0440); the router checks the client's GS2 header and cbind-input against them. The
// client here is a raw Node TLS socket that computes its binding data itself, over STARTTLS and
// direct TLS. In this cluster registration and legacy authentication keep their default (off).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { scramClient, type ScramName } from "@xmppd/sasl";
import { describe, expect, it } from "vitest";
import { useCluster } from "./support/cluster.ts";
import { element, rawTls, type RawTlsStream, type TlsWay } from "./support/raw-tls.ts";
import { canonical } from "./support/stanzas.ts";

const MECHANISMS = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"];
const cluster = useCluster(
  { gateways: 1, routers: 1, ampWorkers: 0, tlsRequired: true, env: { XMPPD__sasl__mechanisms: JSON.stringify(MECHANISMS), XMPPD__gateway__limits__newConnectionsPerIpPer10s: "100", XMPPD__gateway__limits__connectionsPerIp: "100" } },
  ["alice"],
);
const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const failure = (condition: string) => canonical(`<failure xmlns="${SASL}"><${condition}/></failure>`);

async function stream(way: TlsWay, tls = {}): Promise<{ s: RawTlsStream; features: string }> {
  const gw = cluster.topo.of("gateway")[0]!;
  const s = await rawTls(way, way === "direct" ? gw.tlsPort : gw.c2sPort, tls);
  return { s, features: await s.open() };
}

/** The binding data as the client computes it from its side of the TLS connection. */
function clientBinding(s: RawTlsStream, type: string): Buffer {
  if (type === "tls-exporter") return s.socket.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
  // The gateway's certificate is ECDSA with SHA-256, so RFC 5929 §4.1 hashes it with SHA-256.
  return createHash("sha256").update(s.socket.getPeerCertificate().raw).digest();
}

const auth = (mechanism: string, data: Buffer) => `<auth xmlns='${SASL}' mechanism='${mechanism}'>${data.toString("base64")}</auth>`;
const response = (data: Buffer) => `<response xmlns='${SASL}'>${data.toString("base64")}</response>`;
const textOf = (xmlText: string, name: string) => Buffer.from(/>([^<]*)</.exec(element(xmlText, name))![1]!, "base64").toString();

/** A SCRAM exchange up to the server's last answer, which is returned (<success/> or <failure/>). */
async function scram(s: RawTlsStream, mechanism: string, opts: { gs2Header: string; cbindData?: Buffer; password?: string }) {
  const hash = mechanism.replace("-PLUS", "") as ScramName;
  const client = scramClient(hash, "alice", opts.password ?? "alice-pw", { gs2Header: opts.gs2Header, ...(opts.cbindData ? { cbindData: opts.cbindData } : {}) });
  s.write(auth(mechanism, client.first()));
  const first = await s.take(/<\/challenge>|<\/failure>/);
  if (first.includes("<failure")) return { answer: element(first, "failure"), client };
  s.write(response(client.final(textOf(first, "challenge"))));
  const last = await s.take(/<success|<\/failure>/);
  return { answer: last.includes("<failure") ? element(last, "failure") : element(last, "success"), client };
}

describe("SCRAM-*-PLUS (RFC 5802, RFC 9266, RFC 5929, XEP-0440)", () => {
  it.each(["starttls", "direct"] as const)("advertises the -PLUS mechanisms and both binding types on TLS 1.3 (%s)", async (way) => {
    const { s, features } = await stream(way);
    expect(s.socket.getProtocol()).toBe("TLSv1.3");
    expect(canonical(element(features, "mechanisms"))).toBe(
      canonical(`<mechanisms xmlns="${SASL}">${MECHANISMS.map((m) => `<mechanism>${m}</mechanism>`).join("")}</mechanisms>`));
    expect(canonical(element(features, "sasl-channel-binding"))).toBe(
      canonical(`<sasl-channel-binding xmlns="urn:xmpp:sasl-cb:0"><channel-binding type="tls-exporter"/><channel-binding type="tls-server-end-point"/></sasl-channel-binding>`));
    s.end();
  });

  it("offers only tls-server-end-point on TLS 1.2 and refuses tls-exporter there", async () => {
    const { s, features } = await stream("starttls", { maxVersion: "TLSv1.2" });
    expect(canonical(element(features, "sasl-channel-binding"))).toBe(
      canonical(`<sasl-channel-binding xmlns="urn:xmpp:sasl-cb:0"><channel-binding type="tls-server-end-point"/></sasl-channel-binding>`));
    const { answer } = await scram(s, "SCRAM-SHA-256-PLUS", { gs2Header: "p=tls-exporter,,", cbindData: Buffer.alloc(32) });
    expect(canonical(answer)).toBe(failure("malformed-request"));
    const ok = await scram(s, "SCRAM-SHA-256-PLUS", { gs2Header: "p=tls-server-end-point,,", cbindData: clientBinding(s, "tls-server-end-point") });
    expect(ok.answer).toMatch(/^<success/);
    s.end();
  });

  it.each([
    ["starttls", "SCRAM-SHA-256-PLUS", "tls-exporter"],
    ["starttls", "SCRAM-SHA-1-PLUS", "tls-server-end-point"],
    ["direct", "SCRAM-SHA-1-PLUS", "tls-exporter"],
    ["direct", "SCRAM-SHA-256-PLUS", "tls-server-end-point"],
  ] as const)("logs in over %s with %s bound by %s, and binds a resource", async (way, mechanism, type) => {
    const { s } = await stream(way);
    const { answer, client } = await scram(s, mechanism, { gs2Header: `p=${type},,`, cbindData: clientBinding(s, type) });
    expect(answer).toMatch(/^<success/);
    expect(client.verify(textOf(answer, "success"))).toBe(true);
    const features = await s.open();
    expect(features).toContain("urn:ietf:params:xml:ns:xmpp-bind");
    s.write("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>plus</resource></bind></iq>");
    expect(await s.take(/<\/iq>/)).toContain("<jid>alice@localhost/plus</jid>");
    s.end();
  });

  it("fails gs2 flag y while -PLUS is advertised (a downgrade) with not-authorized", async () => {
    const { s } = await stream("starttls");
    expect(canonical((await scram(s, "SCRAM-SHA-256", { gs2Header: "y,," })).answer)).toBe(failure("not-authorized"));
    s.end();
  });

  it("fails p= with a type the server does not support, and p= under a plain mechanism, with malformed-request", async () => {
    const { s } = await stream("direct");
    expect(canonical((await scram(s, "SCRAM-SHA-256-PLUS", { gs2Header: "p=tls-unique,,", cbindData: Buffer.alloc(12) })).answer)).toBe(failure("malformed-request"));
    expect(canonical((await scram(s, "SCRAM-SHA-256", { gs2Header: "p=tls-exporter,,", cbindData: clientBinding(s, "tls-exporter") })).answer)).toBe(failure("malformed-request"));
    s.end();
  });

  it("fails binding data of another connection with not-authorized, and closes after the third failure", async () => {
    const other = await stream("starttls");
    const stolen = clientBinding(other.s, "tls-exporter");
    other.s.end();
    const { s } = await stream("starttls");
    expect(canonical((await scram(s, "SCRAM-SHA-256-PLUS", { gs2Header: "p=tls-exporter,,", cbindData: stolen })).answer)).toBe(failure("not-authorized"));
    // The right password alone is not enough: the end-point hash of another certificate fails too.
    expect(canonical((await scram(s, "SCRAM-SHA-1-PLUS", { gs2Header: "p=tls-server-end-point,,", cbindData: Buffer.alloc(32, 7) })).answer)).toBe(failure("not-authorized"));
    expect(canonical((await scram(s, "SCRAM-SHA-1-PLUS", { gs2Header: "n,," })).answer)).toBe(failure("malformed-request"));
    // RFC 6120 §6.4.5 and docs/architecture.md "Limits": three failures, then a stream error and close.
    await s.closed;
    expect(s.all()).toMatch(/<malformed-request\/><\/failure><stream:error xmlns:stream="http:\/\/etherx.jabber.org\/streams"><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">too many authentication failures<\/text><\/stream:error><\/stream:stream>$/);
  });

  it("counts the -PLUS results by mechanism in the router's metrics", async () => {
    const router = cluster.topo.of("router")[0]!;
    const text = await (await fetch(`http://127.0.0.1:${router.opsPort}/metrics`)).text();
    expect(text).toMatch(/xmpp_router_auth_total\{mechanism="SCRAM-SHA-256-PLUS",result="success"\} [1-9]/);
    expect(text).toMatch(/xmpp_router_auth_total\{mechanism="SCRAM-SHA-1-PLUS",result="success"\} [1-9]/);
    expect(text).toMatch(/xmpp_router_auth_total\{mechanism="SCRAM-SHA-256-PLUS",result="failure"\} [1-9]/);
  });
});

describe("slixmpp with SCRAM-*-PLUS", () => {
  const run = promisify(execFile);
  // slixmpp_plus.py explains why it re-labels slixmpp's tls-unique binding as tls-server-end-point.
  it.each(["starttls", "direct-tls"])("logs in with SCRAM-SHA-*-PLUS bound by tls-server-end-point over %s", async (way) => {
    const gw = cluster.topo.of("gateway")[0]!;
    const port = way === "direct-tls" ? gw.tlsPort : gw.c2sPort;
    const { stdout } = await run("/usr/bin/python3", ["test/peers/slixmpp_plus.py", "alice@localhost/py", "alice-pw", String(port), way], { timeout: 40_000 });
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toEqual({ mechanism: expect.stringMatching(/^SCRAM-SHA-(1|256)-PLUS$/), tls: true, bound: "alice@localhost/py", error: null });
  });
});

describe("unmodified slixmpp 1.8.3 against -PLUS (why -PLUS is opt-in)", () => {
  const run = promisify(execFile);
  it("fails: it picks a -PLUS mechanism and binds with tls-unique, which is not offered", async () => {
    const gw = cluster.topo.of("gateway")[0]!;
    const router = cluster.topo.of("router")[0]!;
    const failures = async () => {
      const text = await (await fetch(`http://127.0.0.1:${router.opsPort}/metrics`)).text();
      const count = (mechanism: string) => Number(new RegExp(`xmpp_router_auth_total\\{mechanism="${mechanism}",result="failure"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      return count("SCRAM-SHA-256-PLUS") + count("SCRAM-SHA-1-PLUS");
    };
    const before = await failures();
    const { stdout } = await run("/usr/bin/python3", ["test/peers/slixmpp_chat.py", "alice@localhost/stock", "alice-pw", String(gw.c2sPort), "alice@localhost/none", "unused"], { timeout: 40_000 });
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toMatchObject({ error: "auth failed", bound: null });
    const after = await failures();
    expect(after - before).toBe(1);
  });
});

describe("registration and legacy authentication, disabled (the defaults)", () => {
  it("answers in-band registration with not-allowed and legacy authentication with service-unavailable, and offers neither", async () => {
    const { s, features } = await stream("starttls");
    expect(features).not.toContain("iq-register");
    expect(features).not.toContain("iq-auth");
    s.write("<iq type='get' id='r1'><query xmlns='jabber:iq:register'/></iq>");
    expect(canonical(element(await s.take(/<\/iq>/), "iq"))).toBe(canonical(
      `<iq type="error" id="r1"><error type="cancel"><not-allowed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">In-band registration is disabled</text></error></iq>`));
    s.write("<iq type='get' id='a1'><query xmlns='jabber:iq:auth'/></iq>");
    expect(canonical(element(await s.take(/<\/iq>/), "iq"))).toBe(canonical(
      `<iq type="error" id="a1"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`));
    s.end();
  });
});
