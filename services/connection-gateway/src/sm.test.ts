// The gateway's half of XEP-0198 against a stand-in router: numbered deliveries in order, <a h/>
// from router acks only, batched ack reports, the unacked limit, re-numbering, and the drain.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryBus, subjects, type Bus, type ToRouter } from "@xmppd/bus";
import { configSchema } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { createGateway, type Gateway } from "./gateway.ts";
import { startFakeRouter, type FakeRouter } from "./testing/fake-router.ts";
import { RawClient, streamHeader } from "./testing/raw-client.ts";

const NS = "urn:xmpp:sm:3";
const AUTH = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>";
const BIND = "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>phone</resource></bind></iq>";
const ID = "abcdefghijklmnopqrstuvwx";

interface Env { bus: Bus; gateway: Gateway; gw: string; router: FakeRouter; c: RawClient; dataDir: string; held: Set<number> }
let env: Env | null = null;

/** A logged-in client; the router acknowledges every envelope except the seqs put in `held`. */
async function setup(gateway: Record<string, unknown> = {}): Promise<Env> {
  const cluster = `smt-${Math.random().toString(36).slice(2, 10)}`;
  const dataDir = await mkdtemp(join(tmpdir(), "gw-sm-"));
  const config = configSchema.parse({
    cluster, domains: ["localhost"], dataDir, log: { level: "silent" }, heartbeat: { intervalMs: 50, deadAfterMs: 200 },
    gateway: { host: "127.0.0.1", c2sPort: 0, tlsPort: 0, httpPort: 0, drainMs: 500, tls: { required: false }, ...gateway },
  });
  const bus = createMemoryBus();
  const gw = await createGateway({ config, bus, log: createLogger({ service: "connection-gateway", level: "silent" }) });
  await gw.start();
  const held = new Set<number>();
  const router = startFakeRouter(bus, subjects(cluster), "r1", { ack: (e) => !held.has(e.seq) });
  const c = await RawClient.connect(gw.c2sPort());
  env = { bus, gateway: gw, gw: gw.id, router, c, dataDir, held };
  c.send(streamHeader());
  await c.waitFor(/<\/stream:features>/);
  c.send(AUTH);
  await c.waitFor(/<success /);
  c.send(streamHeader());
  const features = await c.waitFor(/<stream:features>.*<\/stream:features>/s);
  expect(features[0]).toContain(`<sm xmlns="${NS}"/>`);
  c.send(BIND);
  await c.waitFor(/<jid>alice@localhost\/phone<\/jid>/);
  return env;
}

afterEach(async () => {
  if (!env) return;
  env.c.close();
  env.router.kill();
  await env.gateway.stop();
  await env.bus.close();
  await rm(env.dataDir, { recursive: true, force: true });
  env = null;
});

const sm = (e: Env) => e.router.received.filter((m): m is Extract<ToRouter, { t: "sm" }> => m.t === "sm");
const conn = (e: Env) => e.router.received[0]!.conn;
const deliver = (e: Env, body: string, seq?: number) =>
  e.router.reply(e.gw, { t: "deliver", conn: conn(e), xml: `<message from='bob@localhost/b' to='alice@localhost/phone'><body>${body}</body></message>`, ...(seq === undefined ? {} : { sm: seq }) });

async function enable(e: Env, meanwhile = () => {}): Promise<void> {
  e.c.send(`<enable xmlns='${NS}' resume='true'/>`);
  await until(() => sm(e).some((m) => m.op === "enable"));
  meanwhile();
  e.router.reply(e.gw, { t: "sm", conn: conn(e), op: "enabled", id: ID, max: 300 });
  await e.c.waitFor(new RegExp(`<enabled xmlns="${NS}" id="${ID}" resume="true" max="300"/>`));
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("XEP-0198 at the gateway", () => {
  it("writes numbered deliveries in sequence whatever order they arrive in, and asks for an ack", async () => {
    const e = await setup();
    // Numbered before <enabled/> reached the gateway (another router was faster): it waits.
    await enable(e, () => deliver(e, "early", 1));
    deliver(e, "three", 3);
    deliver(e, "two", 2);
    deliver(e, "two", 2); // a resend
    const got = await e.c.waitFor(/<body>early<\/body>.*<body>two<\/body>.*<body>three<\/body>.*<r xmlns="urn:xmpp:sm:3"\/>/s);
    expect(got[0].match(/<body>/g)).toHaveLength(3);
  });

  /** Two messages relayed; the second one's envelope is left unacknowledged by the router. */
  async function secondHeld(e: Env): Promise<number> {
    const next = e.router.received.at(-1)!.seq + 1;
    e.held.add(next + 1);
    e.c.send("<message to='bob@localhost' id='m1'><body>1</body></message><message to='bob@localhost' id='m2'><body>2</body></message>");
    await until(() => e.router.received.filter((m) => m.t === "stanza" && m.smh !== undefined).length === 2);
    expect(e.router.received.filter((m) => m.t === "stanza" && m.smh !== undefined).map((m) => (m as { smh: number }).smh)).toEqual([1, 2]);
    return next + 1;
  }

  it("answers <r/> once the router acknowledged every stanza counted before it", async () => {
    const e = await setup();
    await enable(e);
    const held = await secondHeld(e);
    // A third message after the <r/>, also unacknowledged: once the router has it, the gateway
    // has read the <r/>; it counts for the next <r/>, not this one.
    e.held.add(held + 1);
    e.c.send(`<r xmlns='${NS}'/><message to='bob@localhost' id='m3'><body>3</body></message>`);
    await until(() => e.router.received.filter((m) => m.t === "stanza" && m.smh !== undefined).length === 3);
    e.router.reply(e.gw, { t: "ack", conn: conn(e), seq: held });
    const [first] = await e.c.waitFor(/<a [^>]*>/);
    expect(first).toBe(`<a xmlns="${NS}" h="2"/>`);
  });

  it("answers <r/> with only what the router acknowledged when an acknowledgement does not come in time", async () => {
    const e = await setup();
    await enable(e);
    await secondHeld(e);
    e.c.send(`<r xmlns='${NS}'/>`);
    await e.c.waitFor(new RegExp(`<a xmlns="${NS}" h="1"/>`));
  });

  it("reports client acks upstream in one batch, and numbers an unnumbered delivery through the router", async () => {
    const e = await setup();
    await enable(e);
    for (const n of [1, 2, 3]) deliver(e, `m${n}`, n);
    await e.c.waitFor(/<body>m3<\/body>/);
    e.c.send(`<a xmlns='${NS}' h='1'/><a xmlns='${NS}' h='3'/>`);
    await until(() => sm(e).some((m) => m.op === "ack"));
    await new Promise((r) => setTimeout(r, 100));
    expect(sm(e).filter((m) => m.op === "ack")).toEqual([expect.objectContaining({ op: "ack", upTo: 3, jid: "alice@localhost/phone" })]);
    deliver(e, "plain");
    await until(() => sm(e).some((m) => m.op === "seq"));
    expect(sm(e).find((m) => m.op === "seq")).toMatchObject({ xml: expect.stringContaining("<body>plain</body>") });
  });

  it("asks the router to replay a delivery missing for a second (its publisher died), then writes in order", async () => {
    const e = await setup();
    await enable(e);
    deliver(e, "m1", 1);
    deliver(e, "m3", 3);
    await e.c.waitFor(/<body>m1<\/body>/);
    await until(() => sm(e).some((m) => m.op === "replay"), 2500);
    expect(sm(e).filter((m) => m.op === "replay")).toEqual([expect.objectContaining({ op: "replay", after: 1, jid: "alice@localhost/phone" })]);
    expect(e.c.text()).not.toContain("<body>m3</body>");
    // However long the router takes to answer (it may be routing a burst of this client's stanzas)
    // the stream waits: the gateway dropped it 3 s after asking, before its answer came.
    await new Promise((r) => setTimeout(r, 3500));
    // The router sends what its store holds after 1: m2 and m3 again; m3 is written once.
    deliver(e, "m2", 2);
    deliver(e, "m3", 3);
    e.router.reply(e.gw, { t: "sm", conn: conn(e), op: "replayed", through: 3 });
    await e.c.waitFor(/<body>m3<\/body>/);
    await new Promise((r) => setTimeout(r, 50));
    expect([...e.c.text().matchAll(/<body>(m\d)<\/body>/g)].map((m) => m[1])).toEqual(["m1", "m2", "m3"]);
    expect(e.c.text()).not.toMatch(/stream:error/);
    // A gap after the replay is watched in turn: a second replay, from what is written now.
    deliver(e, "m5", 5);
    await until(() => sm(e).filter((m) => m.op === "replay").length === 2, 2500);
    expect(sm(e).filter((m) => m.op === "replay").at(-1)).toMatchObject({ after: 3 });
  }, 10_000);

  it("drops the stream, for the client to resume, when the replay could not fill the gap", async () => {
    const e = await setup();
    await enable(e);
    deliver(e, "m1", 1);
    deliver(e, "m3", 3);
    await until(() => sm(e).some((m) => m.op === "replay"), 2500);
    // The store held 2 and 3, yet 2 never came: nothing but a resumption can fill this gap.
    deliver(e, "m3", 3);
    e.router.reply(e.gw, { t: "sm", conn: conn(e), op: "replayed", through: 3 });
    await e.c.waitClosed();
    expect(e.c.text()).not.toContain("<body>m3</body>");
    await until(() => e.router.received.some((m) => m.t === "closed"));
    expect(e.router.received.find((m) => m.t === "closed")).toMatchObject({ resumable: true });
  });

  it("sends a client ack that came just before the connection dropped, then one resumable close", async () => {
    const e = await setup();
    await enable(e);
    deliver(e, "m1", 1);
    await e.c.waitFor(/<body>m1<\/body>/);
    e.c.send(`<a xmlns='${NS}' h='1'/>`);
    await until(() => e.gateway.isReady() && e.router.received.length > 0);
    await new Promise((r) => setTimeout(r, 10)); // inside the 50 ms batching window
    e.c.close();
    await until(() => e.router.received.some((m) => m.t === "closed"));
    await new Promise((r) => setTimeout(r, 100));
    const tail = e.router.received.filter((m) => m.t !== "stanza" && m.t !== "sasl").slice(-2);
    expect(tail).toMatchObject([{ t: "sm", op: "ack", upTo: 1 }, { t: "closed", reason: "disconnected", resumable: true }]);
    expect(e.router.received.filter((m) => m.t === "open")).toHaveLength(1);
    expect(e.router.received.filter((m) => m.t === "closed")).toHaveLength(1);
  });

  it("closes with resource-constraint past the unacked limit; the session waits for resumption (docs/bounds.md)", async () => {
    const e = await setup({ limits: { outboundStanzas: 4 } });
    await enable(e);
    for (let n = 1; n <= 5; n++) deliver(e, `m${n}`, n);
    await e.c.waitFor(/<resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    await until(() => e.router.received.some((m) => m.t === "closed"));
    const closed = e.router.received.find((m) => m.t === "closed")!;
    // A slow reader is not at fault: it may resume and get what it never acknowledged.
    expect(closed).toMatchObject({ reason: "resource-constraint", resumable: true });
  });

  it("asks for an ack at once when the unacked queue reaches half its bound, and again only after an ack", async () => {
    const e = await setup({ limits: { outboundStanzas: 8 } });
    await enable(e);
    for (let n = 1; n <= 6; n++) deliver(e, `m${n}`, n);
    // Right after the 4th, in the same write: not REQUEST_MS (250 ms) after the last one.
    const bodies = (text: string) => text.replace(/<message .*?<\/message>/gs, (m) => /<body>(m\d)</.exec(m)![1]!);
    const got = await e.c.waitFor(/<body>m6<\/body>/);
    expect(bodies(got.input)).toMatch(/m4<r xmlns="urn:xmpp:sm:3"\/>m5/);
    // Acknowledged up to 2 (reported to the router once the gateway took it): 4 left, and the
    // 5th unacknowledged asks again at once.
    e.c.send(`<a xmlns='${NS}' h='2'/>`);
    await until(() => sm(e).some((m) => m.op === "ack" && m.upTo === 2));
    deliver(e, "m7", 7);
    deliver(e, "m8", 8);
    const again = await e.c.waitFor(/<body>m8<\/body>/);
    expect(bodies(again.input)).toMatch(/m7<r xmlns="urn:xmpp:sm:3"\/>m8/);
  });

  it("refuses an ack of more than was sent with undefined-condition", async () => {
    const e = await setup();
    await enable(e);
    deliver(e, "m1", 1);
    await e.c.waitFor(/<body>m1<\/body>/);
    e.c.send(`<a xmlns='${NS}' h='2'/>`);
    await e.c.waitFor(/<undefined-condition xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
  });

  it("counts locally without resumption: no router involved", async () => {
    const e = await setup();
    e.c.send(`<enable xmlns='${NS}'/>`);
    await e.c.waitFor(new RegExp(`<enabled xmlns="${NS}"/>`));
    deliver(e, "m1");
    deliver(e, "m2");
    await e.c.waitFor(/<body>m2<\/body>/);
    e.c.send(`<a xmlns='${NS}' h='2'/>`);
    await new Promise((r) => setTimeout(r, 100));
    expect(sm(e)).toEqual([]);
    expect(e.c.text()).not.toMatch(/stream:error/);
  });

  it("counts the stanzas the gateway writes itself: the session iq result is numbered like any delivery", async () => {
    const e = await setup();
    await enable(e);
    e.c.send("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
    await until(() => sm(e).some((m) => m.op === "seq"));
    expect(sm(e).find((m) => m.op === "seq")).toMatchObject({ xml: expect.stringMatching(/^<iq [^>]*id="s1"/) });
    expect(e.c.text()).not.toMatch(/id="s1"/);
  });

  it("counts them without resumption too", async () => {
    const e = await setup();
    e.c.send(`<enable xmlns='${NS}'/>`);
    await e.c.waitFor(new RegExp(`<enabled xmlns="${NS}"/>`));
    e.c.send("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
    await e.c.waitFor(/id="s1"/);
    e.c.send(`<a xmlns='${NS}' h='1'/>`);
    e.c.send(`<r xmlns='${NS}'/>`);
    // The session iq was handled here, after the router had acknowledged everything before it.
    await e.c.waitFor(new RegExp(`<a xmlns="${NS}" h="1"/>`));
    expect(e.c.text()).not.toMatch(/stream:error/);
  });

  it("drains on stop with see-other-host when configured, leaving the session resumable", async () => {
    const e = await setup({ seeOtherHost: "other.example:5222" });
    await enable(e);
    await e.gateway.stop();
    await e.c.waitFor(/<stream:error[^>]*><see-other-host xmlns="urn:ietf:params:xml:ns:xmpp-streams">other.example:5222<\/see-other-host><\/stream:error>/);
    await until(() => e.router.received.some((m) => m.t === "closed"));
    expect(e.router.received.find((m) => m.t === "closed")).toMatchObject({ reason: "see-other-host", resumable: true });
  });
});
