// XEP-0191 blocking and XEP-0280 carbons end to end: two gateway processes, two routers, real
// NATS, Redis and Postgres, @xmpp/client on both sides, and slixmpp for the "done" check.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { createPgClient } from "@xmppd/storage";
import { waitFor } from "@xmppd/testkit";
import type { Element } from "@xmppd/xml";
import { useCluster } from "./support/cluster.ts";
import { xml, type TestClient } from "./support/clients.ts";
import { canonical } from "./support/stanzas.ts";

const B = "urn:xmpp:blocking";
const C = "urn:xmpp:carbons:2";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const cluster = useCluster({ gateways: 2, routers: 2, ampWorkers: 1 }, ["alice", "bob", "carol", "dave", "erin", "sam", "fay", "gus"]);
const login = cluster.login;

const isPresence = (from: string, type?: string) => (el: Element) => el.name === "presence" && el.attrs.from === from && el.attrs.type === type;
const byId = (id: string) => (el: Element) => el.attrs.id === id;
const chat = (from: string, body: string) => (el: Element) => el.name === "message" && el.attrs.from === from && el.getChildText("body") === body;
const pushes = (c: TestClient, name: string) => c.inbox.filter((el) => el.name === "iq" && el.attrs.type === "set" && el.getChild(name, B));
const settle = () => new Promise((r) => setTimeout(r, 400));

async function befriend(a: TestClient, b: TestClient): Promise<void> {
  const [aBare, bBare] = [a.jid.split("/")[0]!, b.jid.split("/")[0]!];
  await a.send(xml("presence", { to: bBare, type: "subscribe" }));
  await b.next(isPresence(aBare, "subscribe"));
  await b.send(xml("presence", { to: aBare, type: "subscribed" }));
  await b.send(xml("presence", { to: aBare, type: "subscribe" }));
  await a.next(isPresence(bBare, "subscribe"));
  await a.send(xml("presence", { to: bBare, type: "subscribed" }));
  await a.next(isPresence(b.jid));
  await b.next(isPresence(a.jid));
}

describe("XEP-0191 and XEP-0280 across two gateway processes", () => {
  it("alice blocks bob: messages and presence stop both ways, and resume when she unblocks him", async () => {
    const alice = await login(0, "alice", { resource: "laptop" });
    const bob = await login(1, "bob", { resource: "phone" });
    await befriend(alice, bob);
    const list = await alice.iq(xml("iq", { type: "get" }, xml("blocklist", { xmlns: B })));
    expect(canonical(list.getChild("blocklist", B)!)).toBe(`<blocklist xmlns="${B}"></blocklist>`);

    const [aliceMark, bobMark] = [alice.inbox.length, bob.inbox.length];
    await alice.iq(xml("iq", { type: "set" }, xml("block", { xmlns: B }, xml("item", { jid: "bob@localhost" }))));
    await alice.next((el) => pushes(alice, "block").includes(el));
    expect(canonical(pushes(alice, "block")[0]!.getChild("block", B)!)).toBe(`<block xmlns="${B}"><item jid="bob@localhost"></item></block>`);
    const gone = await bob.next(isPresence("alice@localhost/laptop", "unavailable"));
    expect(canonical(gone)).toBe(`<presence from="alice@localhost/laptop" to="bob@localhost" type="unavailable"></presence>`);

    await bob.send(xml("message", { to: "alice@localhost", type: "chat", id: "b1" }, xml("body", {}, "hello?")));
    const refused = await bob.next(byId("b1"));
    expect(canonical(refused)).toBe(canonical(`<message from="alice@localhost" to="bob@localhost/phone" type="error" id="b1"><error type="cancel"><service-unavailable xmlns="${STANZAS}"/></error></message>`));
    await alice.send(xml("message", { to: "bob@localhost", type: "chat", id: "a1" }, xml("body", {}, "go away")));
    const own = await alice.next(byId("a1"));
    expect(canonical(own)).toBe(canonical(
      `<message from="bob@localhost" to="alice@localhost/laptop" type="error" id="a1"><error type="cancel"><not-acceptable xmlns="${STANZAS}"/><blocked xmlns="urn:xmpp:blocking:errors"/></error></message>`));
    await bob.send(xml("presence", {}, xml("status", {}, "blocked?")));
    await alice.send(xml("presence", {}, xml("status", {}, "hiding")));
    await settle();
    // Nothing of bob's reached alice since the block, and bob got only her unavailable and the error.
    expect(alice.inbox.slice(aliceMark).filter((el) => String(el.attrs.from).startsWith("bob@localhost"))).toEqual([own]);
    expect(bob.inbox.slice(bobMark).filter((el) => !String(el.attrs.from).startsWith("bob@localhost"))).toEqual([gone, refused]);

    await alice.iq(xml("iq", { type: "set" }, xml("unblock", { xmlns: B }, xml("item", { jid: "bob@localhost" }))));
    await alice.next((el) => pushes(alice, "unblock").includes(el));
    expect(canonical(pushes(alice, "unblock")[0]!.getChild("unblock", B)!)).toBe(`<unblock xmlns="${B}"><item jid="bob@localhost"></item></unblock>`);
    // §5.4: bob gets alice's current presence; she gets his (dropped while he was blocked).
    expect((await bob.next((el) => isPresence("alice@localhost/laptop")(el) && el.getChildText("status") === "hiding")).attrs.to).toBe("bob@localhost");
    expect((await alice.next((el) => isPresence("bob@localhost/phone")(el) && el.getChildText("status") === "blocked?")).attrs.to).toBe("alice@localhost");
    await bob.send(xml("message", { to: "alice@localhost", type: "chat", id: "b2" }, xml("body", {}, "back")));
    await alice.next(chat("bob@localhost/phone", "back"));
    await alice.send(xml("message", { to: "bob@localhost/phone", type: "chat", id: "a2" }, xml("body", {}, "welcome")));
    await bob.next(chat("alice@localhost/laptop", "welcome"));
    await Promise.all([alice.stop(), bob.stop()]);
  });

  it("a message stored for fay is not delivered once she has blocked its sender: he gets service-unavailable", async () => {
    const sql = createPgClient({ url: cluster.topo.databaseUrl });
    const stored = async () => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM amp.offline_messages WHERE owner = 'fay@localhost'`)).rows[0]!.n;
    try {
      const gus = await login(0, "gus", { resource: "pc" });
      await gus.send(xml("message", { to: "fay@localhost", type: "chat", id: "g1" }, xml("body", {}, "while you were out")));
      await waitFor(async () => (await stored()) === 1, { what: "gus's message stored for fay" });
      // She blocks him before her initial presence, which is what flushes her stored messages.
      const fay = await login(1, "fay", { resource: "tab", presence: false });
      await fay.iq(xml("iq", { type: "set" }, xml("block", { xmlns: B }, xml("item", { jid: "gus@localhost" }))));
      await fay.send(xml("presence"));
      const refused = await gus.next(byId("g1"));
      expect(canonical(refused)).toBe(canonical(`<message from="fay@localhost" to="gus@localhost/pc" type="error" id="g1"><error type="cancel"><service-unavailable xmlns="${STANZAS}"/></error></message>`));
      await settle();
      expect(fay.inbox.filter((el) => el.name === "message")).toEqual([]);
      expect(await stored()).toBe(0);
    } finally {
      await sql.close();
    }
  });

  it("copies carol's chat with dave to her other resource on the other gateway (received and sent)", async () => {
    const desk = await login(0, "carol", { resource: "desk" });
    const phone = await login(1, "carol", { resource: "phone" });
    const dave = await login(1, "dave", { resource: "d" });
    for (const c of [desk, phone]) await c.iq(xml("iq", { type: "set" }, xml("enable", { xmlns: C })));

    await dave.send(xml("message", { to: "carol@localhost/desk", type: "chat", id: "d1" }, xml("body", {}, "hi carol")));
    await desk.next(byId("d1"));
    const received = await phone.next((el) => el.getChild("received", C) !== undefined);
    expect(canonical(received)).toBe(canonical(
      `<message from="carol@localhost" to="carol@localhost/phone" type="chat"><received xmlns="${C}"><forwarded xmlns="urn:xmpp:forward:0">` +
      `<message xmlns="jabber:client" to="carol@localhost/desk" type="chat" id="d1" from="dave@localhost/d"><body>hi carol</body></message></forwarded></received></message>`));

    await desk.send(xml("message", { to: "dave@localhost", type: "chat", id: "c1" }, xml("body", {}, "hi dave")));
    await dave.next(byId("c1"));
    const sent = await phone.next((el) => el.getChild("sent", C) !== undefined);
    expect(canonical(sent)).toBe(canonical(
      `<message from="carol@localhost" to="carol@localhost/phone" type="chat"><sent xmlns="${C}"><forwarded xmlns="urn:xmpp:forward:0">` +
      `<message xmlns="jabber:client" to="dave@localhost" type="chat" id="c1" from="carol@localhost/desk"><body>hi dave</body></message></forwarded></sent></message>`));
    // The sender and the addressed resource get no copy of their own.
    await settle();
    expect(desk.inbox.some((el) => el.getChild("sent", C) || el.getChild("received", C))).toBe(false);
    await Promise.all([desk.stop(), phone.stop(), dave.stop()]);
  });

  it("slixmpp and @xmpp/client on different gateways block and unblock each other and get carbons", async () => {
    const erin = await login(0, "erin", { resource: "js" });
    const samJs = await login(0, "sam", { resource: "js" });
    await samJs.iq(xml("iq", { type: "set" }, xml("enable", { xmlns: C })));
    const port = cluster.topo.of("gateway")[1]!.c2sPort;
    const py = spawn("/usr/bin/python3", ["test/peers/slixmpp_block_carbons.py", "sam@localhost/py", "sam-pw", String(port), "erin@localhost"], { stdio: ["pipe", "pipe", "inherit"] });
    const lines: Record<string, unknown>[] = [];
    const waiters = new Set<() => void>();
    createInterface({ input: py.stdout! }).on("line", (l) => {
      lines.push(JSON.parse(l) as Record<string, unknown>);
      waiters.forEach((w) => w());
    });
    const line = (pred: (l: Record<string, unknown>) => boolean) => new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`slixmpp said: ${JSON.stringify(lines)}`)), 30_000);
      const check = () => {
        const found = lines.find((l) => pred(l) || "result" in l);
        if (found) (clearTimeout(timer), waiters.delete(check), resolve(found));
      };
      waiters.add(check);
      check();
    });
    try {
      expect(await line((l) => l.event === "blocked")).toEqual({ event: "blocked" });
      // sam blocked erin: erin's message to him is refused as if he were offline.
      await erin.send(xml("message", { to: "sam@localhost/py", type: "chat", id: "e1" }, xml("body", {}, "sam?")));
      expect((await erin.next(byId("e1"))).getChild("error")!.getChild("service-unavailable", STANZAS)).toBeDefined();
      py.stdin!.write("unblock\n");
      await line((l) => l.event === "unblocked");
      // Now erin blocks sam: his message comes back service-unavailable.
      await erin.iq(xml("iq", { type: "set" }, xml("block", { xmlns: B }, xml("item", { jid: "sam@localhost" }))));
      py.stdin!.write("message\n");
      await line((l) => l.event === "bounced");
      await erin.iq(xml("iq", { type: "set" }, xml("unblock", { xmlns: B })));
      py.stdin!.write("carbons\n");
      await line((l) => l.event === "waiting");
      await samJs.send(xml("message", { to: "erin@localhost", type: "chat", id: "s1" }, xml("body", {}, "from js")));
      await erin.next(chat("sam@localhost/js", "from js"));
      await erin.send(xml("message", { to: "sam@localhost/js", type: "chat", id: "e2" }, xml("body", {}, "to js")));
      await samJs.next(chat("erin@localhost/js", "to js"));
      const { result } = (await line((l) => "result" in l)) as { result: unknown };
      expect(result).toEqual({
        bound: "sam@localhost/py",
        blocklist_before: [],
        own_block: { id: "to-blocked", from: "erin@localhost", condition: "not-acceptable", blocked: true },
        their_block: { id: "to-blocker", from: "erin@localhost", condition: "service-unavailable", blocked: false },
        sent_carbon: { from: "sam@localhost/js", to: "erin@localhost", body: "from js" },
        received_carbon: { from: "erin@localhost/js", to: "sam@localhost/js", body: "to js" },
        error: null,
      });
    } finally {
      py.kill();
      await Promise.all([erin.stop(), samJs.stop()]);
    }
  });
});
