// A web client nobody here wrote: Converse.js in headless Chromium logs in to one gateway
// process and chats with an @xmpp/client user on another, over WebSocket (RFC 7395) on the plain
// HTTP port and over BOSH (XEP-0206) on the HTTPS port. The message to the browser arrives as
// the server delivered it and shows in Converse's chat; the reply, typed into Converse's text
// area, reaches the other user with the browser's full JID as from.
import { describe, expect, it } from "vitest";
import type { Element } from "@xmppd/xml";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml } from "./support/clients.ts";
import { CHROMIUM, openConverse, type ConverseOptions } from "./support/converse.ts";

const cluster = useCluster({ gateways: 2 }, ["carol", "alice"]);
/** A browser start and a login on a loaded two-core machine: more than the default minute. */
const BROWSER_TIMEOUT_MS = 120_000;

const plain = (el: Element) => ({ name: el.name, attrs: el.attrs, children: el.children.map(String) });

/** alice (@xmpp/client, TCP at gateway `aliceGateway`) and carol (Converse) exchange one message each way. */
async function conversation(transport: Pick<ConverseOptions, "websocketUrl" | "boshUrl">, aliceGateway: number, tag: string): Promise<void> {
  const alice = await cluster.login(aliceGateway, "alice", { resource: `xmppjs-${tag}` });
  const browser = await openConverse({ ...transport, jid: "carol@localhost", password: "carol-pw" });
  try {
    expect(browser.jid).toMatch(/^carol@localhost\/[^/]+$/);
    await alice.send(xml("message", { to: browser.jid, type: "chat", id: `${tag}1` }, xml("body", {}, `hello <browser> & co (${tag})`)));
    const delivered = await browser.nextMessage((m) => m.attrs.id === `${tag}1`);
    expect(plain(delivered)).toEqual({
      name: "message",
      attrs: { xmlns: "jabber:client", to: browser.jid, type: "chat", id: `${tag}1`, from: `alice@localhost/xmppjs-${tag}` },
      children: [`<body>hello &lt;browser&gt; &amp; co (${tag})</body>`],
    });
    await browser.waitForChat("alice@localhost", [`hello <browser> & co (${tag})`]);

    await browser.type("alice@localhost", `hi from Converse (${tag})`);
    const reply = await alice.next(isChat(browser.jid));
    expect(reply.getChildText("body")).toBe(`hi from Converse (${tag})`);
    // Converse writes to the bare JID; the server delivers it to alice's only resource as addressed.
    expect(reply.attrs).toMatchObject({ from: browser.jid, to: "alice@localhost", type: "chat" });
    await browser.waitForChat("alice@localhost", [`hello <browser> & co (${tag})`, `hi from Converse (${tag})`]);
  } finally {
    await browser.close();
    await alice.stop();
  }
}

// Skips only where Chromium is not installed; .ci/run installs it, so CI runs this.
describe.skipIf(CHROMIUM === null)("Converse.js in Chromium", () => {
  it("over ws:// logs in, shows alice's message as delivered, and its typed reply reaches her from its full JID", async () => {
    const gateway = cluster.topo.of("gateway")[0]!;
    await conversation({ websocketUrl: `ws://127.0.0.1:${gateway.httpPort}/xmpp-websocket` }, 1, "ws");
  }, BROWSER_TIMEOUT_MS);

  it("over BOSH on the HTTPS port (https://.../http-bind) does the same", async () => {
    const gateway = cluster.topo.of("gateway")[1]!;
    await conversation({ boshUrl: `https://127.0.0.1:${gateway.httpsPort}/http-bind` }, 0, "bosh");
  }, BROWSER_TIMEOUT_MS);
});
