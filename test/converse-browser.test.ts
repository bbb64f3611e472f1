// A web client nobody here wrote: Converse.js in headless Chromium logs in over WebSocket
// (RFC 7395) to one gateway process and chats with an @xmpp/client user on another. The
// browser's message arrives as the server delivered it and shows in Converse's chat; the reply,
// typed into Converse's text area, reaches the other user with the browser's full JID as from.
import { afterAll, describe, expect, it } from "vitest";
import type { Element } from "@xmppd/xml";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml } from "./support/clients.ts";
import { CHROMIUM, openConverse, type ConverseUser } from "./support/converse.ts";

const cluster = useCluster({ gateways: 2 }, ["carol", "alice"]);
let browser: ConverseUser | undefined;
afterAll(async () => {
  await browser?.close();
});

const plain = (el: Element) => ({ name: el.name, attrs: el.attrs, children: el.children.map(String) });

// Skips only where Chromium is not installed; .ci/run installs it, so CI runs this.
describe.skipIf(CHROMIUM === null)("Converse.js in Chromium over WebSocket", () => {
  it("logs in, shows alice's message as delivered, and its typed reply reaches her from its full JID", async () => {
    const alice = await cluster.login(1, "alice", { resource: "xmppjs" });
    const gateway = cluster.topo.of("gateway")[0]!;
    browser = await openConverse({ websocketUrl: `ws://127.0.0.1:${gateway.httpPort}/xmpp-websocket`, jid: "carol@localhost", password: "carol-pw" });
    expect(browser.jid).toMatch(/^carol@localhost\/[^/]+$/);

    await alice.send(xml("message", { to: browser.jid, type: "chat", id: "cv1" }, xml("body", {}, "hello <browser> & co")));
    const delivered = await browser.nextMessage((m) => m.attrs.id === "cv1");
    expect(plain(delivered)).toEqual({
      name: "message",
      attrs: { xmlns: "jabber:client", to: browser.jid, type: "chat", id: "cv1", from: "alice@localhost/xmppjs" },
      children: ["<body>hello &lt;browser&gt; &amp; co</body>"],
    });
    await browser.waitForChat("alice@localhost", ["hello <browser> & co"]);

    await browser.type("alice@localhost", "hi from Converse");
    const reply = await alice.next(isChat("carol@localhost"));
    expect(reply.getChildText("body")).toBe("hi from Converse");
    expect(reply.attrs).toMatchObject({ from: browser.jid, type: "chat" });
    // Converse writes to the bare JID; the server delivers it to alice's only resource as addressed.
    expect(reply.attrs.to).toBe("alice@localhost");
    await browser.waitForChat("alice@localhost", ["hello <browser> & co", "hi from Converse"]);
  });
});
