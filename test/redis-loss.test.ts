// Redis restarted empty (docs/redis-loss.md): the routers notice the lost epoch marker, the
// gateways re-register their bound connections through each connection's router, and within a
// few seconds messages between online XEP-0198 clients are delivered live again, presence is
// answered from the restored records, no stream is reset, and a later resumption still works.
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { ensureServices, waitFor } from "@xmppd/testkit";
import { useCluster } from "./support/cluster.ts";
import { SmClient } from "./support/sm-client.ts";
import type { Element } from "@xmppd/xml";

const cluster = useCluster({ gateways: 2, routers: 2, ampWorkers: 1, env: { XMPPD__gateway__limits__newConnectionsPerIpPer10s: "100" } }, ["alice", "bob"]);
const port = (i: number) => cluster.topo.of("gateway")[i]!.c2sPort;
/** identity.ts IDENTITY_RECHECK_MS: past it, the next envelope of a connection looks for its session record. */
const RECHECK_MS = 10_000;

/** A metric summed over every router (by its series' label text, e.g. `outcome="restored"`). */
async function routerMetric(name: string, labels: string): Promise<number> {
  let sum = 0;
  for (const r of cluster.topo.of("router")) {
    const text = await (await fetch(`http://127.0.0.1:${r.opsPort}/metrics`)).text();
    for (const m of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\d+)`, "gm"))) if ((m[1] ?? "").includes(labels)) sum += Number(m[2]);
  }
  return sum;
}

async function online(gw: number, user: string, resource: string): Promise<{ c: SmClient; id: string; jid: string }> {
  const c = await SmClient.login(port(gw), user, `${user}-pw`);
  const jid = await c.bind(resource);
  const id = (await c.enable()).attrs.id as string;
  c.send("<presence><priority>1</priority><status>on</status></presence>");
  await c.next((el) => el.name === "presence" && el.attrs.from === jid);
  return { c, id, jid };
}

const chat = (to: string, body: string) => `<message to='${to}' type='chat' id='${body}'><body>${body}</body></message>`;
const isBody = (body: string) => (el: Element) => el.name === "message" && el.getChildText("body") === body;

/** The stanzas a client received after the XEP-0198 element named `after`. */
function stanzasAfter(c: SmClient, after: string): Element[] {
  const from = c.received.findIndex((el) => el.name === after);
  return c.received.slice(from + 1).filter((el) => ["message", "presence", "iq"].includes(el.name));
}

/** Deletes every key of the cluster: what the routers see of a Redis that restarted empty. */
async function wipeRedis(): Promise<number> {
  const redis = new Redis((await ensureServices()).redisUrl);
  let n = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${cluster.topo.cluster}:*`, "COUNT", 1000);
      if (keys.length > 0) n += await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return n;
}

describe("Redis restarted empty", () => {
  it("re-registers live sessions: live delivery, presence, no reset, and resumption afterwards", { timeout: 60_000 }, async () => {
    const alice = await online(0, "alice", "a");
    const bob = await online(1, "bob", "b");
    const bound = Date.now();
    bob.c.send(chat(alice.jid, "before"));
    await alice.c.next(isBody("before"));
    // alice never acknowledges "before": it stays in her unacknowledged queue across the loss.
    expect(alice.c.h).toBe(2);

    // Past the identity recheck: the first envelope after the wipe finds the records missing.
    await new Promise((r) => setTimeout(r, Math.max(0, RECHECK_MS + 500 - (Date.now() - bound))));
    expect(await wipeRedis()).toBeGreaterThan(0);
    // Maybe before the routers noticed: the connection is kept and its stanza answered. (Not a
    // message to bob: one that went offline now would rightly hold later ones behind it.)
    alice.c.send("<iq type='get' id='during' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    await alice.c.next((el) => el.name === "iq" && el.attrs.id === "during" && el.attrs.type === "result");

    await waitFor(async () => (await routerMetric("xmpp_router_reregistrations_total", 'outcome="restored"')) === 2, { timeoutMs: 5000, intervalMs: 50 });
    // Each router notices on its own (one epoch marker read per beat).
    await waitFor(async () => (await routerMetric("xmpp_router_session_store_lost_total", "")) === 2, { timeoutMs: 5000, intervalMs: 50 });
    const offline = await routerMetric("xmpp_router_stanzas_routed_total", 'outcome="offline"');

    bob.c.send(chat(alice.jid, "after-1"));
    alice.c.send(chat(bob.jid, "after-2"));
    await alice.c.next(isBody("after-1"));
    await bob.c.next(isBody("after-2"));
    expect(await routerMetric("xmpp_router_stanzas_routed_total", 'outcome="offline"')).toBe(offline);

    // The restored record answers presence: a second resource of alice's gets her first one's.
    const second = await SmClient.login(port(1), "alice", "alice-pw");
    const a2 = await second.bind("a2");
    second.send("<presence/>");
    const p = await second.next((el) => el.name === "presence" && el.attrs.from === alice.jid);
    expect(p.getChildText("status")).toBe("on");
    expect(p.attrs.to).toBe(a2);
    await second.close();

    // No stream was reset.
    for (const c of [alice.c, bob.c]) {
      expect(c.closed).toBe(false);
      expect(c.received.filter((el) => el.name === "stream:error").map(String)).toEqual([]);
    }
    expect(await routerMetric("xmpp_router_refused_envelopes_total", "")).toBe(0);

    // Resumption on the other gateway: what alice never acknowledged comes again.
    const unacked = stanzasAfter(alice.c, "enabled").slice(1).map(String);
    alice.c.drop();
    const resumed = await SmClient.login(port(1), "alice", "alice-pw");
    const r = await resumed.resume(alice.id, 1);
    expect(r.name).toBe("resumed");
    await resumed.until(() => resumed.bodies().includes("after-1"));
    expect(resumed.bodies()).toEqual(["before", "after-1"]);
    // Everything after h=1 came again, in order (and whatever reached the session after the drop).
    await resumed.until(() => resumed.h >= unacked.length);
    expect(stanzasAfter(resumed, "resumed").slice(0, unacked.length).map(String)).toEqual(unacked);
    bob.c.send(chat(alice.jid, "after-resume"));
    await resumed.next(isBody("after-resume"));
    await resumed.close();
    await bob.c.close();
  });
});
