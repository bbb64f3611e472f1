// BOSH (XEP-0124, XEP-0206) on a gateway's HTTP port, against the separate-process topology:
// a raw HTTP client that does what Strophe and Converse do (session request, SCRAM-SHA-256,
// restart, bind, one request always held for the server's pushes) chats with an @xmpp/client
// user on TCP at another gateway. Retransmission, unknown sids and inactivity as XEP-0124 says.
import { scramClient } from "@xmppd/sasl";
import { waitFor } from "@xmppd/testkit";
import { parseElement, type Element } from "@xmppd/xml";
import { afterAll, describe, expect, it } from "vitest";
import { BoshClient, NS_HTTPBIND } from "../services/connection-gateway/src/testing/bosh-client.ts";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml } from "./support/clients.ts";

const cluster = useCluster({ gateways: 2, env: { XMPPD__gateway__bosh__inactivitySeconds: "2" } }, ["alice", "bob", "carol"]);
const HB = `xmlns='${NS_HTTPBIND}'`;
const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const sessions: BoshSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.stop()));
});

const urlOf = (gateway: number) => `http://127.0.0.1:${cluster.topo.of("gateway")[gateway]!.httpPort}/http-bind`;
const payloadOf = (text: string): Element[] => parseElement(text).children.filter((c): c is Element => typeof c !== "string");
const plain = (el: Element) => ({ name: el.name, attrs: el.attrs, children: el.children.map(String) });

/** Strophe's connection loop: after login, one empty request is always held for the server's pushes. */
class BoshSession {
  readonly inbox: Element[] = [];
  private polling = false;
  private stopped = false;

  constructor(readonly http: BoshClient) {}

  /** Session request, SCRAM-SHA-256 through the router, restart, bind (the client's steps). */
  static async login(gateway: number, username: string, resource: string, attrs: Record<string, string> = {}): Promise<BoshSession> {
    const http = new BoshClient(urlOf(gateway));
    const created = payloadOf(await http.create(attrs));
    expect(created[0]!.getChild("mechanisms", SASL)!.getChildren("mechanism").map((m) => m.getText())).toContain("SCRAM-SHA-256");
    const scram = scramClient("SCRAM-SHA-256", username, `${username}-pw`);
    const challenge = payloadOf(await http.send(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-256'>${scram.first().toString("base64")}</auth>`))[0]!;
    expect(challenge.name).toBe("challenge");
    const final = scram.final(Buffer.from(challenge.getText(), "base64"));
    const success = payloadOf(await http.send(`<response xmlns='${SASL}'>${final.toString("base64")}</response>`))[0]!;
    expect(success.name).toBe("success");
    expect(scram.verify(Buffer.from(success.getText(), "base64"))).toBe(true);
    const features = payloadOf(await http.restart())[0]!;
    expect(features.getChild("bind", "urn:ietf:params:xml:ns:xmpp-bind")).toBeDefined();
    const bound = payloadOf(await http.send(`<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`))[0]!;
    expect(bound.getChild("bind")!.getChildText("jid")).toBe(`${username}@localhost/${resource}`);
    const session = new BoshSession(http);
    sessions.push(session);
    return session;
  }

  /** Keeps one request held; every response's payload goes to the inbox. */
  startPolling(): void {
    this.polling = true;
    void this.poll();
  }

  /** A stanza in its own request, as Strophe sends it while the poll is held. */
  async send(el: Element): Promise<void> {
    this.collect(await this.http.send(el.toString()));
  }

  next(match: (el: Element) => boolean): Promise<Element> {
    return waitFor(() => this.inbox.find(match), { timeoutMs: 10_000, what: "a stanza over BOSH" });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.polling = false;
    await this.http.send("<presence xmlns='jabber:client' type='unavailable'/>", { type: "terminate" }).catch(() => undefined);
  }

  private async poll(): Promise<void> {
    while (this.polling) this.collect(await this.http.send().catch(() => ""));
  }

  private collect(text: string): void {
    if (text !== "") this.inbox.push(...payloadOf(text));
  }
}

async function boshGauge(gateway: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${cluster.topo.of("gateway")[gateway]!.opsPort}/metrics`);
  return Number(/^xmpp_gateway_connections\{transport="bosh"\} (\d+)$/m.exec(await res.text())?.[1] ?? 0);
}

describe("BOSH (XEP-0124, XEP-0206)", () => {
  it("alice over BOSH and bob on TCP at another gateway exchange messages, exact both ways", async () => {
    const alice = await BoshSession.login(0, "alice", "bosh");
    alice.startPolling();
    await alice.send(xml("presence"));
    const bob = await cluster.login(1, "bob", { resource: "tcp" });
    await bob.send(xml("message", { to: "alice@localhost/bosh", type: "chat", id: "b1" }, xml("body", {}, "over <http> & back")));
    const got = await alice.next((el) => el.name === "message" && el.attrs.id === "b1");
    expect(plain(got)).toEqual({
      name: "message",
      attrs: { xmlns: "jabber:client", to: "alice@localhost/bosh", type: "chat", id: "b1", from: "bob@localhost/tcp" },
      children: ["<body>over &lt;http&gt; &amp; back</body>"],
    });
    await alice.send(xml("message", { xmlns: "jabber:client", to: "bob@localhost/tcp", type: "chat", id: "a1" }, xml("body", {}, "from BOSH")));
    const reply = await bob.next(isChat("alice@localhost"));
    expect(plain(reply)).toEqual({
      name: "message",
      attrs: { xmlns: "jabber:client", to: "bob@localhost/tcp", type: "chat", id: "a1", from: "alice@localhost/bosh" },
      children: ["<body>from BOSH</body>"],
    });
    expect(await boshGauge(0)).toBe(1);
  });

  it("answers a retransmitted request with the same response (§14.3), an unknown sid with item-not-found", async () => {
    const http = new BoshClient(urlOf(1));
    await http.create();
    const auth = http.next(`<auth xmlns='${SASL}' mechanism='PLAIN'>${Buffer.from("\0carol\0carol-pw").toString("base64")}</auth>`);
    const first = await http.post(auth.text);
    expect(first).toBe(`<body ${HB} xmlns:stream='http://etherx.jabber.org/streams'><success xmlns="${SASL}"/></body>`);
    expect(await http.post(auth.text)).toBe(first);
    // The retransmission was not processed again: the stream goes on to bind.
    expect(payloadOf(await http.restart())[0]!.getChild("bind", "urn:ietf:params:xml:ns:xmpp-bind")).toBeDefined();
    await http.send("", { type: "terminate" });
    const stranger = new BoshClient(urlOf(1));
    stranger.sid = "no-such-session";
    expect(await stranger.send()).toBe(`<body ${HB} type='terminate' condition='item-not-found'/>`);
  });

  it("closes an inactive session like a dropped connection: the router forgets it, a message waits offline", async () => {
    const carol = await BoshSession.login(1, "carol", "idle", { wait: "1" });
    await carol.send(xml("presence"));
    expect(await boshGauge(1)).toBe(1);
    // No more requests: after wait (1 s) and inactivity (2 s) the session is over.
    await waitFor(async () => (await boshGauge(1)) === 0, { timeoutMs: 10_000, what: "the BOSH session to end" });
    const bob = await cluster.login(0, "bob", { resource: "sender" });
    await bob.send(xml("message", { to: "carol@localhost", type: "chat", id: "off1" }, xml("body", {}, "while you were away")));
    // Had the router kept carol/idle, the message would have gone to the dead session and be lost.
    const back = await cluster.login(0, "carol", { resource: "tcp" });
    const stored = await back.next(isChat("bob@localhost"));
    expect(stored.attrs.id).toBe("off1");
    expect(stored.getChildText("body")).toBe("while you were away");
  });
});
