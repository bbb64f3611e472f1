// Issue 13: every service survives its dependencies' restarts. The real topology (gateway,
// router, AMP worker as processes) runs on a Redis, a Postgres and a NATS of this file's own;
// alice (XEP-0198) sends bob (online, XEP-0198) and carol (offline) plain and XEP-0079 messages
// while each dependency is SIGKILLed and started again. No process may exit; /readyz says 503
// while the dependency is away and 200 after; every message alice sent is acknowledged to her
// and then delivered to its recipient or stored for it, each exactly once (invariant 1).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect as natsConnect } from "nats";
import pg from "pg";
import { natsConnectOptions, subjects } from "@xmppd/bus";
import { startPrivatePostgres, startPrivateRedis, waitFor, type PrivateService } from "@xmppd/testkit";
import { startTopology, type Proc, type Topology } from "./support/topology.ts";
import { SmClient } from "./support/sm-client.ts";

const AMP = "http://jabber.org/protocol/amp";
let redis: PrivateService;
let postgres: PrivateService;
let topo: Topology;

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startPrivateRedis(), startPrivatePostgres()]);
  topo = await startTopology({ redisUrl: redis.url, postgresAdminUrl: postgres.url, env: { XMPPD__gateway__limits__newConnectionsPerIpPer10s: "100" } });
  for (const u of ["alice", "bob", "carol"]) await topo.addUser(u, `${u}-pw`);
});

afterAll(async () => {
  await topo?.stop();
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

/** Where a process serves /readyz: its ops port once it has one, else its HTTP port. */
function readyzPort(p: Proc): number {
  const ops = (p as Proc & { opsPort?: number }).opsPort;
  return typeof ops === "number" && ops > 0 ? ops : p.httpPort;
}

async function readyz(p: Proc): Promise<number> {
  return (await fetch(`http://127.0.0.1:${readyzPort(p)}/readyz`)).status;
}

const allReady = async () => (await Promise.all(topo.procs.map(readyz))).every((s) => s === 200);

/** Nothing of the topology exited, whatever happened to its dependencies. */
function assertAllRunning(): void {
  expect(topo.procs.filter((p) => p.child.exitCode !== null || p.child.signalCode !== null).map((p) => p.name)).toEqual([]);
}

/** Message bodies stored offline for an account (the AMP schema, as the worker wrote them). */
async function storedBodies(owner: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: topo.databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ stanza: string }>("SELECT stanza FROM amp.offline_messages WHERE owner = $1", [owner]);
    return rows.map((r) => /<body>([^<]*)<\/body>/.exec(r.stanza)?.[1] ?? r.stanza);
  } finally {
    await c.end();
  }
}

/** AMP work stored or in a worker's hands: once 0, nothing can be redelivered any more. */
async function ampWorkOutstanding(): Promise<number> {
  const nc = await natsConnect({ ...natsConnectOptions({ url: topo.nats.url, name: "test-admin", seedFile: topo.nats.secrets.seedFile({ role: "admin" }), caFile: topo.nats.caFile }), reconnect: false });
  try {
    const jsm = await nc.jetstreamManager();
    let n = 0;
    for await (const c of jsm.consumers.list(subjects(topo.cluster).ampStream())) n += c.num_pending + c.num_ack_pending;
    return n;
  } finally {
    await nc.close();
  }
}

interface Load {
  alice: SmClient;
  bob: SmClient;
  /** Bodies alice sent, per recipient. */
  sent: { bob: string[]; carol: string[] };
  /** Stanzas alice sent since <enable/>: what her acknowledged h must reach. */
  count: number;
}

async function smSession(user: string, resource: string): Promise<SmClient> {
  const c = await SmClient.login(topo.of("gateway")[0]!.c2sPort, user, `${user}-pw`);
  await c.bind(resource);
  expect((await c.enable()).name).toBe("enabled");
  return c;
}

async function startLoad(tag: string): Promise<Load> {
  const alice = await smSession("alice", tag);
  const bob = await smSession("bob", tag);
  bob.send("<presence/>");
  return { alice, bob, sent: { bob: [], carol: [] }, count: 0 };
}

/**
 * A batch of alice's messages: to bob and to carol (offline) a chat and an AMP message, which
 * the AMP worker delivers or stores (its rule, drop at a far expire-at, never fires; and strict
 * security refuses alice no drop rule). Not awaited: during an outage nothing is acknowledged yet.
 */
const AMP_RULES = `<amp xmlns='${AMP}'><rule condition='expire-at' action='drop' value='2099-01-01T00:00:00Z'/></amp>`;

function sendBatch(load: Load, tag: string): void {
  for (const [to, extra] of [["bob", ""], ["bob", AMP_RULES], ["carol", ""], ["carol", AMP_RULES]] as const) {
    const body = `${tag}-${to}-${load.sent[to].length}`;
    load.alice.send(`<message to='${to}@localhost' type='chat' id='${body}'><body>${body}</body>${extra}</message>`);
    load.sent[to].push(body);
    load.count += 1;
  }
}

/** Everything alice sent is acknowledged to her, delivered or stored, and no AMP work is left. */
async function settle(load: Load): Promise<void> {
  await waitFor(async () => (await load.alice.requestAck()) === load.count, { timeoutMs: 30_000, intervalMs: 200, what: "alice's messages all acknowledged" });
  const missing = async () => {
    const got = new Set([...load.bob.bodies(), ...(await storedBodies("bob@localhost")), ...(await storedBodies("carol@localhost"))]);
    return [...load.sent.bob, ...load.sent.carol].filter((b) => !got.has(b));
  };
  try {
    await waitFor(async () => (await missing()).length === 0, { timeoutMs: 30_000, intervalMs: 200, what: "every message delivered or stored" });
  } catch (err) {
    throw new Error(`acknowledged to alice but neither delivered nor stored: ${(await missing()).join(", ")}`, { cause: err });
  }
  await waitFor(async () => (await ampWorkOutstanding()) === 0, { timeoutMs: 30_000, intervalMs: 200, what: "the AMP work queue drained" });
}

/** Each message alice sent reached its recipient (live or stored) exactly once. */
async function assertExactlyOnce(load: Load, tag: string): Promise<void> {
  const mine = (b: string) => b.startsWith(`${tag}-`);
  const bobGot = [...load.bob.bodies(), ...(await storedBodies("bob@localhost"))].filter(mine);
  const carolGot = (await storedBodies("carol@localhost")).filter(mine);
  expect(bobGot.sort()).toEqual([...load.sent.bob].sort());
  expect(carolGot.sort()).toEqual([...load.sent.carol].sort());
}

/**
 * One dependency crashes under load: batches before the crash, during the outage and after the
 * restart. `affected` must report 503 while it is down (each service probes what it uses).
 */
async function survives(tag: string, dep: { kill(): Promise<void>; start(): Promise<void> }, affected: Proc[]): Promise<void> {
  const load = await startLoad(tag);
  try {
    sendBatch(load, `${tag}-before`);
    await settle(load);
    await dep.kill();
    await waitFor(async () => (await Promise.all(affected.map(readyz))).every((s) => s === 503), { timeoutMs: 15_000, intervalMs: 100, what: "/readyz 503 while it is down" });
    sendBatch(load, `${tag}-during`);
    await dep.start();
    await waitFor(allReady, { timeoutMs: 30_000, intervalMs: 100, what: "/readyz 200 after the restart" });
    sendBatch(load, `${tag}-after`);
    await settle(load);
    assertAllRunning();
    await assertExactlyOnce(load, tag);
  } finally {
    await Promise.all([load.alice.close(), load.bob.close()]);
  }
}

describe("a dependency restarts under load", () => {
  it("Postgres: the router and the AMP worker wait for it; every message is delivered or stored once", { timeout: 120_000 }, async () => {
    await survives("pg", postgres, [...topo.of("router"), ...topo.of("amp")]);
  });

  it("Redis: it comes back empty; the live sessions are registered again; every message is delivered or stored once", { timeout: 120_000 }, async () => {
    await survives("redis", redis, [...topo.of("router"), ...topo.of("amp")]);
  });

  it("NATS: every process waits for it and resumes its work; every message is delivered or stored once", { timeout: 120_000 }, async () => {
    await survives("nats", topo.nats, topo.procs);
  });
});
