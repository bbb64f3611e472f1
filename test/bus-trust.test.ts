// A hostile process holding one gateway's NATS credentials, against the real topology (two
// gateway processes, a router, an AMP worker; the generated NATS configuration with TLS and nkey
// identities): it can neither read another gateway's sessions nor make anyone appear to send
// anything (issue 12's "done when"). alice is on gw1, bob on gw2; the attacker has gw2's seed.
import { connect as natsConnect, type NatsConnection } from "nats";
import { afterAll, describe, expect, it } from "vitest";
import { encode, natsConnectOptions, subjects, type RouterHeartbeat, type ToRouter } from "@xmppd/bus";
import { isChat, xml } from "./support/clients.ts";
import { useCluster } from "./support/cluster.ts";

const cluster = useCluster({ gateways: 2, routers: 1, ampWorkers: 1 }, ["alice", "bob"]);
let nc: NatsConnection | undefined;
afterAll(async () => nc?.close());

async function refusedByRouter(reason: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${cluster.topo.of("router")[0]!.opsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`xmpp_router_refused_envelopes_total{reason="${reason}"}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

const chat = (to: string, from: string, body: string) =>
  `<message xmlns='jabber:client' from='${from}' to='${to}' type='chat' id='${body}'><body>${body}</body></message>`;

describe("a gateway's credentials in a hostile process", () => {
  it("read nothing of another gateway's sessions and make no user appear to send anything", async () => {
    const alice = await cluster.login(0, "alice", { resource: "home" });
    const bob = await cluster.login(1, "bob", { resource: "desk" });
    const { nats, cluster: name } = cluster.topo;
    const s = subjects(name);
    nc = await natsConnect({ ...natsConnectOptions({ url: nats.url, name: "attacker", seedFile: nats.secrets.seedFile({ role: "gateway", gateway: "gw2" }), caFile: nats.caFile }), reconnect: false });

    // It may listen to router beacons (every gateway must), so it learns the router's id ...
    const beacons = nc.subscribe(s.routerHeartbeat(), { max: 1 });
    let routerId = "";
    for await (const m of beacons) routerId = (JSON.parse(new TextDecoder().decode(m.data)) as RouterHeartbeat).id;

    // ... but not gw1's inbox, where alice's deliveries go, under any subject that covers it.
    const sniff = nc.subscribe(`${s.prefix}.v1.gateway.gw1.*`);
    const sniffed = (async () => {
      try {
        for await (const _ of sniff) return "read";
      } catch (err) {
        return (err as { code?: string }).code ?? "error";
      }
      return "closed";
    })();
    expect(await sniffed).toBe("PERMISSIONS_VIOLATION");

    // Envelopes as itself for a connection the router never authenticated, naming alice's JID.
    const before = await refusedByRouter("unbound-connection");
    const self = "gw2-0123456789ab";
    // A router takes nothing of a connection before its "open" (docs/acknowledgements.md), so the
    // forger announces one; without it the stanza would only get a resend request.
    const open: ToRouter = { t: "open", gw: self, conn: "forged-1", seq: 1, domain: "localhost", ip: "127.0.0.1", secure: true };
    const forged: ToRouter = { t: "stanza", gw: self, conn: "forged-1", seq: 2, jid: alice.jid, xml: chat(bob.jid, alice.jid, "forged-1") };
    nc.publish(s.toRouter(routerId, self), encode(open));
    nc.publish(s.toRouter(routerId, self), encode(forged));
    // Claiming gw1 in the envelope, or publishing under gw1's name: refused by the router, or by NATS.
    nc.publish(s.toRouter(routerId, self), encode({ ...forged, gw: "gw1-0123456789ab", conn: "forged-2", xml: chat(bob.jid, alice.jid, "forged-2") }));
    nc.publish(s.toRouter(routerId, "gw1-0123456789ab"), encode({ ...forged, gw: "gw1-0123456789ab", conn: "forged-3", xml: chat(bob.jid, alice.jid, "forged-3") }));
    await nc.flush().catch(() => undefined);

    await expect.poll(() => refusedByRouter("unbound-connection"), { timeout: 10_000 }).toBe(before + 1);
    await expect.poll(() => refusedByRouter("gateway-mismatch"), { timeout: 10_000 }).toBe(1);
    // alice's real message still arrives, and is the only one bob ever gets from her.
    await alice.send(xml("message", { to: bob.jid, type: "chat", id: "real" }, xml("body", {}, "real")));
    await bob.next((el) => el.attrs.id === "real");
    expect(bob.inbox.filter(isChat("alice@localhost")).map((el) => el.attrs.id)).toEqual(["real"]);
  }, 60_000);
});
