// "Every way in": three users of three clients nobody here wrote, on three transports and two
// gateway processes, all while TLS is required, chat with each other. carol is Converse.js in
// headless Chromium over wss:// (the HTTPS port of gateway 1), sam is slixmpp over direct TLS
// (XEP-0368, gateway 2's tlsPort), alice is @xmpp/client over wss:// at gateway 2. Each sends
// one message to each of the others; each receives both, exactly as sent, from the sender's
// full JID.
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { Element } from "@xmppd/xml";
import { useCluster } from "./support/cluster.ts";
import { connect, xml, type TestClient } from "./support/clients.ts";
import { CHROMIUM, openConverse, type ConverseUser } from "./support/converse.ts";
import { startSlixmpp, type SlixmppUser } from "./support/slixmpp.ts";

// @xmpp/websocket uses the WHATWG WebSocket, which Node 20 has only behind a flag.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const cluster = useCluster({ gateways: 2, tlsRequired: true }, ["carol", "sam", "alice"]);
let carol: ConverseUser | undefined;
let sam: SlixmppUser | undefined;
let alice: TestClient | undefined;
afterAll(async () => {
  await Promise.all([carol?.close(), sam?.stop(), alice?.stop()]);
});

const plain = (el: Element) => ({ name: el.name, attrs: el.attrs, children: el.children.map(String) });
const chatFrom = (from: string) => (el: Element) => el.name === "message" && el.attrs.from === from && el.attrs.type === "chat" && !!el.getChildText("body");

describe.skipIf(CHROMIUM === null)("every way in", () => {
  it("Converse.js over wss://, slixmpp over direct TLS and @xmpp/client over wss:// chat together", async () => {
    const [gw1, gw2] = cluster.topo.of("gateway");
    const wss = (port: number) => `wss://127.0.0.1:${port}/xmpp-websocket`;
    carol = await openConverse({ websocketUrl: wss(gw1!.httpsPort), jid: "carol@localhost", password: "carol-pw" });
    sam = await startSlixmpp({ jid: "sam@localhost/py", password: "sam-pw", port: gw2!.tlsPort, directTls: true });
    alice = await connect({ port: 0, service: wss(gw2!.httpsPort), username: "alice", password: "alice-pw", resource: "web" });
    expect(carol.jid).toMatch(/^carol@localhost\/[^/]+$/);
    expect({ jid: sam.jid, tls: sam.tls }).toEqual({ jid: "sam@localhost/py", tls: true });
    expect(sam.mechanism).toMatch(/^SCRAM-SHA-(1|256)$/);
    expect(alice.jid).toBe("alice@localhost/web");

    // alice (@xmpp/client) writes to carol and sam.
    await alice.send(xml("message", { to: carol.jid, type: "chat", id: "a-c" }, xml("body", {}, "alice to carol: <hi> & welcome")));
    await alice.send(xml("message", { to: sam.jid, type: "chat", id: "a-s" }, xml("body", {}, "alice to sam")));
    // sam (slixmpp) writes to carol and alice.
    sam.send(carol.jid, "sam to carol", "s-c");
    sam.send(alice.jid, "sam to alice", "s-a");
    // carol (Converse.js) types to alice and sam.
    await carol.waitForChat("alice@localhost", ["alice to carol: <hi> & welcome"]);
    await carol.type("alice@localhost", "carol to alice");
    await carol.waitForChat("sam@localhost", ["sam to carol"]);
    await carol.type("sam@localhost", "carol to sam");

    // carol got both, as the server delivered them, and Converse shows each chat in order.
    expect(plain(await carol.nextMessage((m) => m.attrs.id === "a-c"))).toEqual({
      name: "message",
      attrs: { xmlns: "jabber:client", to: carol.jid, type: "chat", id: "a-c", from: "alice@localhost/web" },
      children: ["<body>alice to carol: &lt;hi&gt; &amp; welcome</body>"],
    });
    const fromSam = await carol.nextMessage((m) => m.attrs.id === "s-c");
    expect({ from: fromSam.attrs.from, to: fromSam.attrs.to, type: fromSam.attrs.type, body: fromSam.getChildText("body") }).toEqual({
      from: "sam@localhost/py", to: carol.jid, type: "chat", body: "sam to carol",
    });
    await carol.waitForChat("alice@localhost", ["alice to carol: <hi> & welcome", "carol to alice"]);
    await carol.waitForChat("sam@localhost", ["sam to carol", "carol to sam"]);

    // alice got sam's and carol's.
    const samToAlice = await alice.next((el) => el.attrs.id === "s-a");
    expect({ from: samToAlice.attrs.from, to: samToAlice.attrs.to, type: samToAlice.attrs.type, body: samToAlice.getChildText("body") }).toEqual({
      from: "sam@localhost/py", to: "alice@localhost/web", type: "chat", body: "sam to alice",
    });
    const carolToAlice = await alice.next(chatFrom(carol.jid), 15_000);
    // Converse writes to the bare JID; the server delivers it to alice's only resource as addressed.
    expect({ to: carolToAlice.attrs.to, body: carolToAlice.getChildText("body") }).toEqual({ to: "alice@localhost", body: "carol to alice" });

    // sam got alice's and carol's.
    expect(await sam.nextMessage((m) => m.id === "a-s")).toEqual({ from: "alice@localhost/web", to: "sam@localhost/py", type: "chat", id: "a-s", body: "alice to sam" });
    const carolToSam = await sam.nextMessage((m) => m.from === carol!.jid && m.body !== "", 15_000);
    expect({ type: carolToSam.type, body: carolToSam.body, to: carolToSam.to }).toEqual({ type: "chat", body: "carol to sam", to: "sam@localhost" });
    // A browser start and three logins on a loaded two-core machine: more than the default minute.
  }, 150_000);
});
