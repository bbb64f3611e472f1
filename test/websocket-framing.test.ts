// RFC 7395 framing rules at a real gateway process, spoken by a raw `ws` client: the `xmpp`
// subprotocol, <open/> answered by <open/> and features, one document per message, stream
// errors followed by <close/>, and the same limits and restricted XML as on TCP.
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { useCluster } from "./support/cluster.ts";

const FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
const OPEN = `<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`;
const CLOSE = `<close xmlns='${FRAMING}'/>`;
const STREAM_ERROR = (condition: string) =>
  new RegExp(`^<stream:error xmlns:stream=.http://etherx.jabber.org/streams.><${condition} xmlns=.urn:ietf:params:xml:ns:xmpp-streams./>`);

// Many short connections from one address: lift the per-IP rate of new connections.
const cluster = useCluster({ gateways: 1, env: { XMPPD__gateway__limits__newConnectionsPerIpPer10s: "1000" } }, ["alice"]);

interface RawWs {
  messages: string[];
  send(text: string): void;
  sendBinary(data: Buffer): void;
  /** Waits until `count` messages have arrived; returns them all. */
  received(count: number): Promise<string[]>;
  closed: Promise<{ code: number }>;
}

function url(): string {
  return `ws://127.0.0.1:${cluster.topo.of("gateway")[0]!.httpPort}/xmpp-websocket`;
}

async function open(protocols: string[] = ["xmpp"]): Promise<RawWs> {
  const ws = new WebSocket(url(), protocols);
  const messages: string[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data, isBinary) => {
    messages.push(isBinary ? "(binary)" : data.toString("utf8"));
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number }>((resolve) => ws.on("close", (code) => resolve({ code })));
  await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
  expect(ws.protocol).toBe("xmpp");
  return {
    messages,
    send: (text) => ws.send(text),
    sendBinary: (data) => ws.send(data, { binary: true }),
    closed,
    received: (count) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(messages);
        };
        const timer = setTimeout(() => reject(new Error(`expected ${count} messages, got:\n${messages.join("\n")}`)), 5000);
        waiters.add(check);
        check();
      }),
  };
}

/** Opens, answers the stream header, and expects a stream error then <close/> for `bad`. */
async function expectStreamError(bad: string[], condition: string): Promise<void> {
  const ws = await open();
  ws.send(OPEN);
  await ws.received(2);
  for (const text of bad) ws.send(text);
  const all = await ws.received(4);
  expect(all[2]).toMatch(STREAM_ERROR(condition));
  expect(all[3]).toBe(CLOSE);
  expect((await ws.closed).code).toBe(1000);
  expect(all).toHaveLength(4);
}

describe("WebSocket handshake", () => {
  it("refuses an upgrade without the xmpp subprotocol", async () => {
    const ws = new WebSocket(url());
    const status = await new Promise<number>((resolve, reject) => {
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => reject(new Error("the upgrade was accepted")));
    });
    expect(status).toBe(400);
  });

  it("answers <open/> with <open/> and the stream features, each a message of its own", async () => {
    const ws = await open();
    ws.send(OPEN);
    const [header, features] = await ws.received(2);
    expect(header).toMatch(new RegExp(`^<open xmlns='${FRAMING}' from='localhost' id='[\\w-]{16,}' version='1.0' xml:lang='en'/>$`));
    expect(features).toMatch(/^<stream:features xmlns:stream='http:\/\/etherx.jabber.org\/streams'><mechanisms xmlns=.urn:ietf:params:xml:ns:xmpp-sasl.>.*<\/stream:features>$/);
    expect(features).not.toMatch(/starttls/);
  });

  it("logs in with SASL PLAIN, restarts the stream with a new <open/>, binds, and closes with <close/>", async () => {
    const ws = await open();
    ws.send(OPEN);
    await ws.received(2);
    ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from("\0alice\0alice-pw").toString("base64")}</auth>`);
    expect((await ws.received(3))[2]).toMatch(/^<success xmlns=.urn:ietf:params:xml:ns:xmpp-sasl.\/?>/);
    ws.send(OPEN);
    const afterRestart = await ws.received(5);
    expect(afterRestart[3]).toMatch(/^<open /);
    expect(afterRestart[4]).toMatch(/<bind xmlns=.urn:ietf:params:xml:ns:xmpp-bind.\/>/);
    ws.send("<iq type='set' id='b1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>raw</resource></bind></iq>");
    const bound = (await ws.received(6))[5]!;
    expect(bound).toMatch(/^<iq xmlns=.jabber:client./);
    expect(bound).toMatch(/<jid>alice@localhost\/raw<\/jid>/);
    ws.send(CLOSE);
    expect((await ws.received(7))[6]).toBe(CLOSE);
    expect((await ws.closed).code).toBe(1000);
  });
});

describe("framing errors: a stream error, then <close/>", () => {
  it("two elements in one message are <not-well-formed/>", () =>
    expectStreamError(["<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>"], "not-well-formed"));

  it("garbage (not XML at all) is <not-well-formed/>, then <close/> and the WebSocket close", () => expectStreamError(["<<<this is not xml>>>"], "not-well-formed"));

  it("half an element is <not-well-formed/>", () => expectStreamError(["<message xmlns='jabber:client'><body>"], "not-well-formed"));

  it("a TCP stream header is <not-well-formed/>", async () => {
    const ws = await open();
    ws.send("<stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
    const all = await ws.received(3);
    expect(all[0]).toMatch(/^<open /);
    expect(all[1]).toMatch(STREAM_ERROR("not-well-formed"));
    expect(all[2]).toBe(CLOSE);
  });

  it("an <open/> outside the framing namespace is <invalid-namespace/>", async () => {
    const ws = await open();
    ws.send("<open to='localhost' version='1.0'/>");
    const all = await ws.received(3);
    expect(all[1]).toMatch(STREAM_ERROR("invalid-namespace"));
    expect(all[2]).toBe(CLOSE);
  });

  it("a stanza before <open/> is <not-well-formed/>", async () => {
    const ws = await open();
    ws.send("<message xmlns='jabber:client' to='alice@localhost'><body>early</body></message>");
    const all = await ws.received(3);
    expect(all[1]).toMatch(STREAM_ERROR("not-well-formed"));
    expect(all[2]).toBe(CLOSE);
  });

  it("a binary frame is <bad-format/> (RFC 7395 §3.2)", async () => {
    const ws = await open();
    ws.send(OPEN);
    await ws.received(2);
    ws.sendBinary(Buffer.from("<presence xmlns='jabber:client'/>"));
    const all = await ws.received(4);
    expect(all[2]).toMatch(STREAM_ERROR("bad-format"));
    expect(all[3]).toBe(CLOSE);
  });
});

describe("limits and restricted XML, as on TCP", () => {
  it("a DOCTYPE is <restricted-xml/>", () => expectStreamError(["<!DOCTYPE x [<!ENTITY a 'b'>]><message xmlns='jabber:client'/>"], "restricted-xml"));

  it("a comment is <restricted-xml/>", () => expectStreamError(["<message xmlns='jabber:client'><!-- hi --></message>"], "restricted-xml"));

  it("an undefined entity is rejected and never expanded", () =>
    expectStreamError(["<message xmlns='jabber:client'><body>&xxe;</body></message>"], "(restricted-xml|not-well-formed)"));

  it("a message over the stanza limit (pre-auth 8 KiB) is <policy-violation/>", () =>
    expectStreamError([`<message xmlns='jabber:client'><body>${"x".repeat(10_000)}</body></message>`], "policy-violation"));

  it("more than 32 elements before authentication is <policy-violation/>", () =>
    expectStreamError([`<message xmlns='jabber:client'>${"<x/>".repeat(40)}</message>`], "policy-violation"));

  it("a message over maxPayload (twice the stanza limit) is cut with WebSocket close 1009", async () => {
    const ws = await open();
    ws.send(OPEN);
    await ws.received(2);
    ws.send(`<message xmlns='jabber:client'><body>${"y".repeat(2 * 262_144)}</body></message>`);
    expect((await ws.closed).code).toBe(1009);
  });
});
