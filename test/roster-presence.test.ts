// RFC 6121 end to end: rosters, subscriptions and presence between users on two gateway
// processes (two routers, real NATS, Redis and Postgres), with @xmpp/client. The last test kills
// a gateway, so it stays last.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { Element } from "@xmppd/xml";
import { useCluster } from "./support/cluster.ts";
import { xml, type TestClient } from "./support/clients.ts";

const R = "jabber:iq:roster";
// @xmpp/client enables XEP-0198 resumption, so a session whose gateway dies is kept for the resume
// timeout before its contacts see it go: 1 s here, so the last test measures the death sweep.
const cluster = useCluster({ gateways: 2, routers: 2, ampWorkers: 1, env: { XMPPD__gateway__streamManagement__resumeTimeoutSeconds: "1" } }, ["alice", "bob", "carol", "dave", "erin", "frank", "sam"]);
const login = cluster.login;
const run = promisify(execFile);

const rosterGet = (c: TestClient, ver?: string) => c.iq(xml("iq", { type: "get" }, xml("query", { xmlns: R, ver })));
const pushes = (c: TestClient) => c.inbox.filter((el) => el.name === "iq" && el.attrs.type === "set" && el.getChild("query", R));
const isPresence = (from: string, type?: string) => (el: Element) => el.name === "presence" && el.attrs.from === from && el.attrs.type === type;
/** The attributes and children of an element, for exact comparison. */
const shape = (el: Element): unknown => ({ name: el.name, attrs: el.attrs, children: el.children.map((c) => (typeof c === "string" ? c : shape(c as Element))) });
const item = (attrs: Record<string, string>, ...groups: string[]) => ({ name: "item", attrs, children: groups.map((g) => ({ name: "group", attrs: {}, children: [g] })) });

async function nextPush(c: TestClient, after: number): Promise<Element> {
  await c.collect((el) => pushes(c).includes(el), after + 1);
  return pushes(c)[after]!;
}

describe("RFC 6121 across two gateway processes", () => {
  it("alice adds bob, they subscribe to each other, see each other's presence, and alice sees bob leave", async () => {
    const alice = await login(0, "alice", { resource: "laptop" });
    const bob = await login(1, "bob", { resource: "phone" });
    const empty = await rosterGet(alice, "");
    expect(shape(empty.getChild("query", R)!)).toEqual({ name: "query", attrs: { xmlns: R, ver: "0" }, children: [] });
    await rosterGet(bob);

    await alice.iq(xml("iq", { type: "set" }, xml("query", { xmlns: R }, xml("item", { jid: "bob@localhost", name: "Bob" }, xml("group", {}, "Friends")))));
    const added = await nextPush(alice, 0);
    expect(added.attrs).toMatchObject({ type: "set", to: "alice@localhost/laptop" });
    expect(shape(added.getChild("query", R)!)).toEqual({ name: "query", attrs: { xmlns: R, ver: "1" }, children: [item({ jid: "bob@localhost", name: "Bob", subscription: "none" }, "Friends")] });

    await alice.send(xml("presence", { to: "bob@localhost", type: "subscribe" }));
    expect(shape((await nextPush(alice, 1)).getChild("query", R)!.getChild("item")!)).toEqual(item({ jid: "bob@localhost", name: "Bob", subscription: "none", ask: "subscribe" }, "Friends"));
    const request = await bob.next(isPresence("alice@localhost", "subscribe"));
    expect(shape(request)).toEqual({ name: "presence", attrs: { xmlns: "jabber:client", type: "subscribe", from: "alice@localhost", to: "bob@localhost" }, children: [] });

    await bob.send(xml("presence", { to: "alice@localhost", type: "subscribed" }));
    expect(shape((await nextPush(bob, 0)).getChild("query", R)!.getChild("item")!)).toEqual(item({ jid: "alice@localhost", subscription: "from" }));
    expect(shape((await nextPush(alice, 2)).getChild("query", R)!.getChild("item")!)).toEqual(item({ jid: "bob@localhost", name: "Bob", subscription: "to" }, "Friends"));
    await alice.next(isPresence("bob@localhost", "subscribed"));
    // RFC 6121 §3.1.5: bob's current presence follows his approval.
    const bobOnline = await alice.next(isPresence("bob@localhost/phone"));
    expect(bobOnline.attrs.to).toBe("alice@localhost");

    await bob.send(xml("presence", { to: "alice@localhost", type: "subscribe" }));
    await alice.next(isPresence("bob@localhost", "subscribe"));
    await alice.send(xml("presence", { to: "bob@localhost", type: "subscribed" }));
    await bob.next(isPresence("alice@localhost/laptop"));
    expect(shape((await nextPush(alice, 3)).getChild("query", R)!.getChild("item")!)).toEqual(item({ jid: "bob@localhost", name: "Bob", subscription: "both" }, "Friends"));

    // Subsequent presence (RFC 6121 §4.4) reaches the contact.
    await bob.send(xml("presence", {}, xml("show", {}, "dnd"), xml("status", {}, "driving")));
    const busy = await alice.next((el) => isPresence("bob@localhost/phone")(el) && el.getChildText("show") === "dnd");
    expect(busy.getChildText("status")).toBe("driving");

    // XEP-0237: alice's copy is current, so the answer is empty; an old one gets everything.
    const current = (await rosterGet(alice, "")).getChild("query", R)!.attrs.ver as string;
    expect((await rosterGet(alice, current)).children).toEqual([]);
    const full = (await rosterGet(alice, "1")).getChild("query", R)!;
    expect(full.attrs.ver).toBe(current);
    expect(full.getChildren("item").map((i) => i.attrs.subscription)).toEqual(["both"]);

    await bob.stop();
    const gone = await alice.next(isPresence("bob@localhost/phone", "unavailable"));
    expect(shape(gone)).toEqual({ name: "presence", attrs: { xmlns: "jabber:client", type: "unavailable", from: "bob@localhost/phone", to: "alice@localhost" }, children: [] });
    await alice.stop();
  });

  it("delivers a subscription request sent while carol was offline when she logs in", async () => {
    const alice = await login(0, "alice", { resource: "desk" });
    await alice.send(xml("presence", { to: "carol@localhost", type: "subscribe" }, xml("status", {}, "add me")));
    await new Promise((r) => setTimeout(r, 500));
    const carol = await login(1, "carol", { resource: "home" });
    const request = await carol.next(isPresence("alice@localhost", "subscribe"));
    expect(request.getChildText("status")).toBe("add me");
    await carol.send(xml("presence", { to: "alice@localhost", type: "subscribed" }));
    await alice.next(isPresence("carol@localhost/home"));
    await Promise.all([alice.stop(), carol.stop()]);
  });

  it("sends directed presence's addressee an unavailable when the sender logs out (RFC 6121 §4.6.3)", async () => {
    const dave = await login(0, "dave", { resource: "d" });
    const erin = await login(1, "erin", { resource: "e" });
    await dave.send(xml("presence", { to: "erin@localhost/e" }, xml("status", {}, "just for you")));
    expect((await erin.next(isPresence("dave@localhost/d"))).getChildText("status")).toBe("just for you");
    await dave.stop();
    const gone = await erin.next(isPresence("dave@localhost/d", "unavailable"));
    expect(gone.attrs.to).toBe("erin@localhost/e");
    await erin.stop();
  });

  it("slixmpp on one gateway and @xmpp/client on the other add each other and see each other's presence", async () => {
    const alice = await login(0, "alice", { resource: "js" });
    await rosterGet(alice);
    // alice answers sam's request and asks for his presence in turn (slixmpp approves by itself).
    const answered = alice.next(isPresence("sam@localhost", "subscribe"), 30_000).then(async () => {
      await alice.send(xml("presence", { to: "sam@localhost", type: "subscribed" }));
      await alice.send(xml("presence", { to: "sam@localhost", type: "subscribe" }));
    });
    const port = cluster.topo.of("gateway")[1]!.c2sPort;
    const { stdout } = await run("/usr/bin/python3", ["test/peers/slixmpp_presence.py", "sam@localhost/py", "sam-pw", String(port), "alice@localhost"], { timeout: 45_000 });
    await answered;
    const result = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(result).toEqual({ bound: "sam@localhost/py", subscription: "both", ask: false, presence_from: "alice@localhost/js", status: "", error: null });
    const sam = await alice.next(isPresence("sam@localhost/py"));
    expect(sam.getChildText("status")).toBe("from python");
    // sam may see 'both' a moment before alice's side is written: her push says when it is.
    const samItem = (el: Element) => el.getChild("query", R)?.getChild("item");
    await alice.next((el) => pushes(alice).includes(el) && samItem(el)?.attrs.jid === "sam@localhost" && samItem(el)?.attrs.subscription === "both");
    const item = (await rosterGet(alice)).getChild("query", R)!.getChildren("item").find((i) => i.attrs.jid === "sam@localhost");
    expect(item?.attrs).toEqual({ jid: "sam@localhost", subscription: "both" });
    await alice.stop();
  });

  it("tells a contact on the other gateway that frank is gone when frank's gateway is killed", async () => {
    const erin = await login(0, "erin", { resource: "watch" });
    const frank = await login(1, "frank", { resource: "doomed" });
    await erin.send(xml("presence", { to: "frank@localhost", type: "subscribe" }));
    await frank.next(isPresence("erin@localhost", "subscribe"));
    await frank.send(xml("presence", { to: "erin@localhost", type: "subscribed" }));
    await erin.next(isPresence("frank@localhost/doomed"));
    const killedAt = Date.now();
    await cluster.topo.kill(cluster.topo.of("gateway")[1]!, "SIGKILL");
    // deadAfterMs is 1500 in the test topology; the sweep runs every beat (250 ms).
    await erin.next(isPresence("frank@localhost/doomed", "unavailable"), 10_000);
    expect(Date.now() - killedAt).toBeLessThan(6000);
    await erin.stop();
  });
});
