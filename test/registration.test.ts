// XEP-0077 in-band registration and XEP-0078 legacy authentication, both enabled here (they are
// off by default; sasl-plus.test.ts checks the disabled answers). Both run in the router: the
// gateway relays the IQs like SASL steps. Conversations over raw TLS streams assert the exact
// stanzas; slixmpp's xep_0077 plugin and @xmpp/client are the real clients.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createPgClient, createRosterStore } from "@xmppd/storage";
import type { Element } from "@xmppd/xml";
import { waitFor } from "@xmppd/testkit";
import { useCluster } from "./support/cluster.ts";
import { connect, xml } from "./support/clients.ts";
import { element, rawTls, type RawTlsStream } from "./support/raw-tls.ts";
import { canonical } from "./support/stanzas.ts";

const run = promisify(execFile);
const MAX_PER_IP = 14;
const cluster = useCluster(
  {
    gateways: 1, routers: 1, ampWorkers: 1, tlsRequired: true,
    env: {
      XMPPD__registration__enabled: "true",
      XMPPD__registration__maxPerIpPerHour: String(MAX_PER_IP),
      XMPPD__legacyAuth__enabled: "true",
      XMPPD__gateway__limits__newConnectionsPerIpPer10s: "100",
      // Raw streams of earlier tests may still be open: the per-IP limits are not under test here.
      XMPPD__gateway__limits__connectionsPerIp: "100",
    },
  },
  ["alice"],
);
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const REGISTER = "jabber:iq:register";
const stanzaError = (id: string, type: string, condition: string, text?: string) =>
  canonical(`<iq type="error" id="${id}"><error type="${type}"><${condition} xmlns="${STANZAS}"/>${text ? `<text xmlns="${STANZAS}">${text}</text>` : ""}</error></iq>`);
let registerSets = 0;

async function open(): Promise<{ s: RawTlsStream; features: string }> {
  const s = await rawTls("starttls", cluster.topo.of("gateway")[0]!.c2sPort);
  return { s, features: await s.open() };
}

async function iq(s: RawTlsStream, text: string): Promise<string> {
  s.write(text);
  return canonical(element(await s.take(/<\/iq>|<iq [^>]*\/>/), "iq"));
}

async function registerRaw(s: RawTlsStream, id: string, username: string, password: string): Promise<string> {
  registerSets += 1;
  return iq(s, `<iq type='set' id='${id}'><query xmlns='${REGISTER}'><username>${username}</username><password>${password}</password></query></iq>`);
}

const NOT_AUTHORIZED = canonical(`<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized/></failure>`);

/** A login attempt on a new stream: the exact SASL <failure/> (or "success"). */
async function refused(username: string, password: string): Promise<string> {
  const { s } = await open();
  const answer = await loginRaw(s, username, password);
  s.end();
  return answer === "success" ? answer : canonical(answer);
}

/** SASL PLAIN (TLS only), new stream, bind: the raw stream is then a session of `username`. */
async function loginRaw(s: RawTlsStream, username: string, password: string): Promise<string> {
  s.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${username}\0${password}`).toString("base64")}</auth>`);
  const answer = await s.take(/<success|<\/failure>/);
  if (!answer.includes("<success")) return element(answer, "failure");
  await s.open();
  s.write("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>raw</resource></bind></iq>");
  await s.take(/<\/iq>/);
  return "success";
}

describe("in-band registration (XEP-0077)", () => {
  it("offers register and legacy auth on the TLS stream, and sends the registration form (§3.1)", async () => {
    const { s, features } = await open();
    expect(features).toContain(`<register xmlns="http://jabber.org/features/iq-register"/>`);
    expect(features).toContain(`<auth xmlns="http://jabber.org/features/iq-auth"/>`);
    expect(await iq(s, `<iq type='get' id='f1'><query xmlns='${REGISTER}'/></iq>`)).toBe(canonical(
      `<iq type="result" id="f1"><query xmlns="${REGISTER}"><instructions>Choose a username and password for use with this service.</instructions><username/><password/></query></iq>`));
    s.end();
  });

  it("registers a new account, answers conflict for it the second time and not-acceptable for bad fields", async () => {
    const { s } = await open();
    expect(await registerRaw(s, "r1", "dave", "dave-pw")).toBe(canonical(`<iq type="result" id="r1"/>`));
    expect(await registerRaw(s, "r2", "Dave", "other")).toBe(stanzaError("r2", "cancel", "conflict", "The username is taken"));
    expect(await registerRaw(s, "r3", "bad user", "pw")).toBe(stanzaError("r3", "modify", "not-acceptable", "The username is not a valid JID localpart"));
    expect(await registerRaw(s, "r4", "eve@evil.example", "pw")).toBe(stanzaError("r4", "modify", "not-acceptable", "The username is not a valid JID localpart"));
    expect(await iq(s, `<iq type='set' id='r5'><query xmlns='${REGISTER}'><username>frank</username></query></iq>`)).toBe(
      stanzaError("r5", "modify", "not-acceptable", "password is required"));
    registerSets += 1;
    expect(await iq(s, `<iq type='set' id='r6'><query xmlns='${REGISTER}'><remove/></query></iq>`)).toBe(stanzaError("r6", "auth", "not-authorized", "Authenticate first"));
    registerSets += 1;
    // The new account logs in with SASL on the same stream.
    expect(await loginRaw(s, "dave", "dave-pw")).toBe("success");
    s.end();
  });

  it("changes the password with slixmpp's xep_0077 plugin (§3.3): the new one works, the old one fails", async () => {
    const port = cluster.topo.of("gateway")[0]!.c2sPort;
    const { s } = await open();
    expect(await registerRaw(s, "r1", "sam", "sam-pw")).toBe(canonical(`<iq type="result" id="r1"/>`));
    s.end();
    const { stdout } = await run("/usr/bin/python3", ["test/peers/slixmpp_register.py", "sam@localhost/py", "sam-pw", String(port), "change", "sam-new-pw"], { timeout: 40_000 });
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toEqual({ mechanism: expect.stringMatching(/^SCRAM-SHA-/), outcome: "ok", stream_error: null });
    const sam = await connect({ port, username: "sam", password: "sam-new-pw", resource: "js" });
    expect(sam.jid).toBe("sam@localhost/js");
    await sam.stop();
    expect(await refused("sam", "sam-pw")).toBe(NOT_AUTHORIZED);
  });

  it("cancels the registration with slixmpp's xep_0077 plugin (§3.2): result, then not-authorized closes the stream", async () => {
    const port = cluster.topo.of("gateway")[0]!.c2sPort;
    const { s } = await open();
    expect(await registerRaw(s, "r1", "ivan", "ivan-pw")).toBe(canonical(`<iq type="result" id="r1"/>`));
    s.end();
    const { stdout } = await run("/usr/bin/python3", ["test/peers/slixmpp_register.py", "ivan@localhost/py", "ivan-pw", String(port), "cancel"], { timeout: 40_000 });
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toEqual({ mechanism: expect.stringMatching(/^SCRAM-SHA-/), outcome: "ok", stream_error: "not-authorized" });
    expect(await refused("ivan", "ivan-pw")).toBe(NOT_AUTHORIZED);
  });

  it("changes the password of the logged-in account (§3.3): the old one fails from then on, the new one works", async () => {
    const { s } = await open();
    expect(await registerRaw(s, "r1", "gina", "old-pw")).toBe(canonical(`<iq type="result" id="r1"/>`));
    expect(await loginRaw(s, "gina", "old-pw")).toBe("success");
    expect(await iq(s, `<iq type='set' id='c0'><query xmlns='${REGISTER}'><username>alice</username><password>mine-now</password></query></iq>`)).toBe(
      stanzaError("c0", "cancel", "not-allowed", "You can change only your own password").replace('<iq id="c0"', '<iq id="c0" to="gina@localhost/raw"'));
    expect(await iq(s, `<iq type='set' id='c1'><query xmlns='${REGISTER}'><username>gina</username><password>new-pw</password></query></iq>`)).toBe(
      canonical(`<iq type="result" id="c1" to="gina@localhost/raw"/>`));
    s.end();
    expect(await refused("gina", "old-pw")).toBe(NOT_AUTHORIZED);
    const gina = await connect({ port: cluster.topo.of("gateway")[0]!.c2sPort, username: "gina", password: "new-pw" });
    await gina.stop();
  });

  it("cancels the registration (§3.2): result, the sessions end, the login fails, and a new account of that name starts empty", async () => {
    const port = cluster.topo.of("gateway")[0]!.c2sPort;
    const sql = createPgClient({ url: cluster.topo.databaseUrl });
    const stored = async () => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM amp.offline_messages WHERE owner = 'hank@localhost'`)).rows[0]!.n;
    const { s } = await open();
    expect(await registerRaw(s, "r1", "hank", "hank-pw")).toBe(canonical(`<iq type="result" id="r1"/>`));
    // Nobody is logged in as hank yet: alice's message is stored for him.
    const early = await connect({ port, username: "alice", password: "alice-pw", resource: "early" });
    await early.send(xml("message", { to: "hank@localhost", type: "chat", id: "m0" }, xml("body", {}, "before you left")));
    await waitFor(async () => (await stored()) === 1, { what: "the message stored for hank" });
    await early.stop();
    expect(await loginRaw(s, "hank", "hank-pw")).toBe("success");
    expect(await iq(s, "<iq type='set' id='ro'><query xmlns='jabber:iq:roster'><item jid='alice@localhost' name='Alice'/></query></iq>")).toBe(
      canonical(`<iq type="result" id="ro" to="hank@localhost/raw"/>`));
    // A block list, cached by the router once hank's sessions route messages.
    expect(await iq(s, "<iq type='set' id='bl'><block xmlns='urn:xmpp:blocking'><item jid='alice@localhost'/></block></iq>")).toBe(
      canonical(`<iq type="result" id="bl" to="hank@localhost/raw"/>`));
    // Without presence: nothing flushes the stored message before the cancellation.
    const other = await connect({ port, username: "hank", password: "hank-pw", resource: "other", presence: false });
    s.write(`<iq type='set' id='x1'><query xmlns='${REGISTER}'><remove/></query></iq>`);
    await s.closed;
    const tail = s.all().slice(s.all().lastIndexOf("<iq "));
    expect(canonical(element(tail, "iq"))).toBe(canonical(`<iq type="result" id="x1" to="hank@localhost/raw"/>`));
    expect(tail.slice(element(tail, "iq").length)).toBe(
      `<stream:error xmlns:stream="http://etherx.jabber.org/streams"><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">The account has been removed</text></stream:error></stream:stream>`);
    // The other session of the account ends as well.
    await expect.poll(() => other.nonzas.some((n) => n.name === "stream:error" && n.getChild("not-authorized") !== undefined), { timeout: 10_000 }).toBe(true);
    await other.stop();
    // The stored message went with the account (the AMP worker deletes it after the router's word).
    await waitFor(async () => (await stored()) === 0, { what: "hank's stored message deleted" });
    await sql.close();
    expect(await refused("hank", "hank-pw")).toBe(NOT_AUTHORIZED);
    const again = await open();
    expect(await registerRaw(again.s, "r2", "hank", "hank-pw2")).toBe(canonical(`<iq type="result" id="r2"/>`));
    expect(await loginRaw(again.s, "hank", "hank-pw2")).toBe("success");
    expect(await iq(again.s, "<iq type='get' id='rg'><query xmlns='jabber:iq:roster'/></iq>")).toMatch(/<query xmlns="jabber:iq:roster"[^>]*><\/query>/);
    expect(await iq(again.s, "<iq type='get' id='bg'><blocklist xmlns='urn:xmpp:blocking'/></iq>")).toBe(
      canonical(`<iq type="result" id="bg" to="hank@localhost/raw"><blocklist xmlns="urn:xmpp:blocking"/></iq>`));
    // The old account's block list is not applied to the new one: alice's message arrives.
    const alice = await connect({ port, username: "alice", password: "alice-pw", resource: "a" });
    again.s.write("<presence/>");
    await alice.send(xml("message", { to: "hank@localhost/raw", type: "chat", id: "m1" }, xml("body", {}, "hello again")));
    await again.s.take(/hello again/);
    expect(again.s.all()).not.toContain("before you left");
    await alice.stop();
    again.s.end();
  });

  it("cancelling ends the contacts' subscriptions with the account: roster push, unsubscribe, unsubscribed and unavailable presence", async () => {
    const port = cluster.topo.of("gateway")[0]!.c2sPort;
    const sql = createPgClient({ url: cluster.topo.databaseUrl });
    const rosters = createRosterStore(sql);
    const { s } = await open();
    expect(await registerRaw(s, "r1", "kate", "kate-pw")).toBe(canonical(`<iq type="result" id="r1"/>`));
    // kate and alice see each other's presence (both), as after RFC 6121 §3.1.
    const both = (jid: string) => ({ jid, name: null, subscription: "both" as const, ask: null, approved: false, pendingIn: false, pendingInStanza: null, groups: [] });
    await rosters.upsert("kate@localhost", both("alice@localhost"));
    await rosters.upsert("alice@localhost", both("kate@localhost"));
    const alice = await connect({ port, username: "alice", password: "alice-pw", resource: "roster" });
    // An interested resource (RFC 6121 §2.1.6): it gets roster pushes.
    await alice.iq(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })));
    expect(await loginRaw(s, "kate", "kate-pw")).toBe("success");
    s.write("<presence/>");
    await alice.next((el) => el.name === "presence" && el.attrs.from === "kate@localhost/raw" && el.attrs.type === undefined);
    s.write(`<iq type='set' id='x1'><query xmlns='${REGISTER}'><remove/></query></iq>`);
    await s.closed;
    const fromKate = (type: string) => (el: Element) => el.name === "presence" && el.attrs.type === type && String(el.attrs.from).startsWith("kate@localhost");
    expect(canonical(await alice.next(fromKate("unsubscribe")))).toBe(canonical(`<presence type="unsubscribe" from="kate@localhost" to="alice@localhost"/>`));
    expect(canonical(await alice.next(fromKate("unsubscribed")))).toBe(canonical(`<presence type="unsubscribed" from="kate@localhost" to="alice@localhost"/>`));
    expect(canonical(await alice.next(fromKate("unavailable")))).toBe(canonical(`<presence type="unavailable" from="kate@localhost/raw" to="alice@localhost"/>`));
    const push = await alice.next((el) => el.name === "iq" && el.attrs.type === "set" && el.getChild("query", "jabber:iq:roster")?.getChild("item")?.attrs.subscription === "none");
    expect(canonical(push.getChild("query", "jabber:iq:roster")!.getChild("item")!)).toBe(`<item jid="kate@localhost" subscription="none"></item>`);
    expect(await rosters.item("alice@localhost", "kate@localhost")).toMatchObject({ subscription: "none", ask: null, pendingIn: false });
    // A new kate gets nothing of alice's presence: nobody's roster gives it to her.
    expect(await rosters.subscribersOf("alice@localhost")).not.toContain("kate@localhost");
    expect(await rosters.subscriptionsOf("alice@localhost")).not.toContain("kate@localhost");
    await alice.stop();
    await sql.close();
  });

  it(`accepts at most ${MAX_PER_IP} registration requests per IP per hour, then answers policy-violation`, async () => {
    const { s } = await open();
    expect(registerSets).toBeLessThan(MAX_PER_IP);
    while (registerSets < MAX_PER_IP) expect(await registerRaw(s, `l${registerSets}`, `user${registerSets}`, "pw")).toMatch(/type="result"/);
    expect(await registerRaw(s, "over", "toomany", "pw")).toBe(stanzaError("over", "wait", "policy-violation", "Too many registrations from this address"));
    s.end();
  });

  it("counts registrations in the router's metrics", async () => {
    const router = cluster.topo.of("router")[0]!;
    const text = await (await fetch(`http://127.0.0.1:${router.opsPort}/metrics`)).text();
    expect(text).toMatch(/xmpp_router_registrations_total\{result="created"\} [1-9]/);
    expect(text).toMatch(/xmpp_router_registrations_total\{result="conflict"\} 1\b/);
    expect(text).toMatch(/xmpp_router_registrations_total\{result="password-changed"\} 2\b/);
    expect(text).toMatch(/xmpp_router_registrations_total\{result="removed"\} 3\b/);
  });
});

describe("legacy authentication (XEP-0078)", () => {
  const auth = (id: string, fields: string) => `<iq type='set' id='${id}'><query xmlns='jabber:iq:auth'>${fields}</query></iq>`;

  it("offers the password method only (no digest with SCRAM-hashed credentials)", async () => {
    const { s } = await open();
    expect(await iq(s, "<iq type='get' id='a1' to='localhost'><query xmlns='jabber:iq:auth'><username>alice</username></query></iq>")).toBe(
      canonical(`<iq type="result" id="a1" from="localhost"><query xmlns="jabber:iq:auth"><username/><password/><resource/></query></iq>`));
    s.end();
  });

  it("refuses a wrong password with not-authorized and missing fields with not-acceptable, then authenticates and binds in one step", async () => {
    const { s } = await open();
    expect(await iq(s, auth("a2", "<username>alice</username><password>wrong</password><resource>old</resource>"))).toBe(stanzaError("a2", "auth", "not-authorized"));
    expect(await iq(s, auth("a3", "<username>alice</username><digest>0123</digest><resource>old</resource>"))).toBe(
      stanzaError("a3", "modify", "not-acceptable", "username, password and resource are required"));
    expect(await iq(s, auth("a4", "<username>alice</username><password>alice-pw</password><resource>old</resource>"))).toBe(canonical(`<iq type="result" id="a4"/>`));
    // A session now: the server answers a ping addressed from alice@localhost/old.
    expect(await iq(s, "<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")).toBe(
      canonical(`<iq type="result" id="p1" from="localhost" to="alice@localhost/old"/>`));
    s.end();
  });

  it("counts legacy authentications in the router's metrics", async () => {
    const router = cluster.topo.of("router")[0]!;
    const text = await (await fetch(`http://127.0.0.1:${router.opsPort}/metrics`)).text();
    expect(text).toMatch(/xmpp_router_auth_total\{mechanism="legacy-password",result="success"\} 1\b/);
    expect(text).toMatch(/xmpp_router_auth_total\{mechanism="legacy-password",result="failure"\} 1\b/);
  });

  it("counts legacy failures toward the stream's limit: the third closes the stream with policy-violation", async () => {
    const { s } = await open();
    for (const id of ["f1", "f2"]) {
      expect(await iq(s, auth(id, "<username>alice</username><password>nope</password><resource>r</resource>"))).toBe(stanzaError(id, "auth", "not-authorized"));
    }
    s.write(auth("f3", "<username>alice</username><password>nope</password><resource>r</resource>"));
    await s.closed;
    expect(s.all()).toMatch(/<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/><\/error><\/iq><stream:error xmlns:stream="http:\/\/etherx.jabber.org\/streams"><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">too many authentication failures<\/text><\/stream:error><\/stream:stream>$/);
  });
});
