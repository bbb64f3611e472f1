// XMPP over WebSocket (RFC 7395) on the gateway's HTTP port: @xmpp/client logs in over ws://
// (SASL, stream restart by a new <open/>, bind) and chats with a TCP user on another gateway;
// the connection gauge counts it under transport="websocket".
import { waitFor } from "@xmppd/testkit";
import type { Element } from "@xmppd/xml";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml, xmppClient } from "./support/clients.ts";

// @xmpp/websocket uses the WHATWG WebSocket, which Node 20 has only behind a flag.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const cluster = useCluster({ gateways: 2 }, ["alice", "bob"]);
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
});

async function loginWebSocket(gateway: number, username: string, resource: string) {
  const port = cluster.topo.of("gateway")[gateway]!.httpPort;
  const xmpp = xmppClient({ service: `ws://127.0.0.1:${port}/xmpp-websocket`, domain: "localhost", username, password: `${username}-pw`, resource });
  xmpp.reconnect.stop();
  xmpp.on("error", () => undefined);
  const inbox: Element[] = [];
  xmpp.on("stanza", (el: Element) => inbox.push(el));
  const jid = String(await xmpp.start());
  stops.push(() => xmpp.stop());
  await xmpp.send(xml("presence"));
  const next = (match: (el: Element) => boolean) => waitFor(() => inbox.find(match), { timeoutMs: 10_000, what: "a stanza" });
  return { jid, send: (el: Element) => xmpp.send(el), next, stop: () => xmpp.stop() };
}

const plainMessage = (el: Element) => ({ name: el.name, attrs: el.attrs, children: el.children.map(String) });

async function websocketGauge(gateway: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${cluster.topo.of("gateway")[gateway]!.opsPort}/metrics`);
  const match = /^xmpp_gateway_connections\{transport="websocket"\} (\d+)$/m.exec(await res.text());
  return Number(match?.[1] ?? 0);
}

describe("XMPP over WebSocket (RFC 7395)", () => {
  it("alice on ws:// and bob on TCP at another gateway exchange messages", async () => {
    const alice = await loginWebSocket(0, "alice", "web");
    expect(alice.jid).toBe("alice@localhost/web");
    const bob = await cluster.login(1, "bob", { resource: "tcp" });
    await alice.send(xml("message", { to: "bob@localhost/tcp", type: "chat", id: "w1" }, xml("body", {}, "from a browser <tab> & co")));
    const got = await bob.next(isChat("alice@localhost"));
    expect(plainMessage(got)).toEqual({
      name: "message",
      attrs: { xmlns: "jabber:client", to: "bob@localhost/tcp", type: "chat", id: "w1", from: "alice@localhost/web" },
      children: ["<body>from a browser &lt;tab&gt; &amp; co</body>"],
    });
    await bob.send(xml("message", { to: "alice@localhost/web", type: "chat", id: "w2" }, xml("body", {}, "from a socket")));
    const reply = await alice.next(isChat("bob@localhost"));
    expect(plainMessage(reply)).toEqual({
      name: "message",
      attrs: { xmlns: "jabber:client", to: "alice@localhost/web", type: "chat", id: "w2", from: "bob@localhost/tcp" },
      children: ["<body>from a socket</body>"],
    });
  });

  it("answers IQs over the WebSocket and counts the connection under transport=websocket", async () => {
    const before = await websocketGauge(1);
    const alice = await loginWebSocket(1, "alice", "gauge");
    expect(await websocketGauge(1)).toBe(before + 1);
    await alice.send(xml("iq", { type: "get", id: "ping1", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    const pong = await alice.next((el) => el.attrs.id === "ping1");
    expect(pong.attrs).toMatchObject({ type: "result", from: "localhost", to: "alice@localhost/gauge" });
    await alice.stop();
    await waitFor(async () => (await websocketGauge(1)) === before, { what: "the gauge to go down" });
  });
});
