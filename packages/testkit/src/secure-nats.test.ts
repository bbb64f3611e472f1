// The bus as a hostile process with a gateway's credentials sees it: a real nats-server with the
// generated configuration (permissions.ts), checked from outside with plain nats.js clients.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, nkeyAuthenticator, type NatsConnection, type NatsError } from "nats";
import { natsConnectOptions, subjects, type BusIdentity } from "@xmppd/bus";
import { startSecureNats, type SecureNats } from "./secure-nats.ts";
import { uniqueId } from "./ids.ts";

const cluster = uniqueId("sec");
const s = subjects(cluster);
const gwA = "gw-a-0123456789ab";
const gwB = "gw-b-0123456789ab";
let nats: SecureNats;
const open: NatsConnection[] = [];

async function as(who: BusIdentity): Promise<NatsConnection> {
  const nc = await connect({ ...natsConnectOptions({ url: nats.url, name: "test", seedFile: nats.secrets.seedFile(who), caFile: nats.caFile }), reconnect: false });
  open.push(nc);
  return nc;
}

/** The server's answer to a subscription: "ok", or the permissions violation it reports. */
async function trySubscribe(nc: NatsConnection, subject: string): Promise<string> {
  const sub = nc.subscribe(subject);
  const refused = (async () => {
    try {
      for await (const _ of sub) return "ok";
    } catch (err) {
      return (err as NatsError).code;
    }
    return "closed";
  })();
  await nc.flush();
  const verdict = await Promise.race([refused, new Promise<string>((r) => setTimeout(() => r("ok"), 300))]);
  sub.unsubscribe();
  return verdict;
}

/** Whether a publish by `from` reaches a subscriber that may read the subject. */
async function delivered(from: NatsConnection, reader: NatsConnection, subject: string): Promise<boolean> {
  const sub = reader.subscribe(subject, { max: 1 });
  await reader.flush();
  from.publish(subject, new TextEncoder().encode("x"));
  await from.flush().catch(() => undefined);
  const got = (async () => {
    for await (const _ of sub) return true;
    return false;
  })();
  return Promise.race([got, new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
}

/** Whether the server answers a publish with a permissions violation (on a fresh connection, so the answer is this publish's). */
async function publishRefused(who: BusIdentity, subject: string): Promise<boolean> {
  const nc = await as(who);
  const status = nc.status();
  const refused = (async () => {
    for await (const st of status) if (st.type === "error" && st.data === "PERMISSIONS_VIOLATION") return true;
    return false;
  })();
  nc.publish(subject, new TextEncoder().encode("x"));
  await nc.flush().catch(() => undefined);
  return Promise.race([refused, new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
}

beforeAll(async () => {
  nats = await startSecureNats({ cluster, gateways: ["gw-a", "gw-b"] });
}, 30_000);

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  await nats?.stop();
});

describe("the generated NATS configuration", () => {
  it("refuses a connection without credentials, without TLS, or with an unknown key", async () => {
    await expect(connect({ servers: nats.url, tls: { caFile: nats.caFile }, reconnect: false })).rejects.toThrow(/Authorization/i);
    await expect(connect({ servers: nats.url.replace("tls://", "nats://"), reconnect: false, authenticator: nkeyAuthenticator(new TextEncoder().encode("SUAGC4MV2SQJ6YASGK6YIM4CSED3NS5UHHXBLMQSQVELJWOP2FOTG2S2IQ")) })).rejects.toThrow();
  });

  it("lets a gateway read only its own inbox", async () => {
    const a = await as({ role: "gateway", gateway: "gw-a" });
    expect(await trySubscribe(a, s.gatewayInbox(gwA))).toBe("ok");
    for (const subject of [s.gatewayInbox(gwB), `${s.prefix}.v1.gateway.>`, `${s.prefix}.v1.gateway.*.*`, s.routerInbox("r1"), s.gatewayHeartbeats(), `${s.prefix}.v1.amp.>`, "_INBOX.>", ">"]) {
      expect(await trySubscribe(a, subject), subject).toBe("PERMISSIONS_VIOLATION");
    }
  });

  it("lets a gateway publish only as itself", async () => {
    const a = await as({ role: "gateway", gateway: "gw-a" });
    const router = await as({ role: "router" });
    expect(await delivered(a, router, s.toRouter("r1", gwA))).toBe(true);
    expect(await delivered(a, router, s.toRouter("r1", gwB))).toBe(false);
    expect(await delivered(a, router, s.gatewayHeartbeat(gwB))).toBe(false);
    const worker = await as({ role: "amp-worker" });
    // Nor may it speak to other gateways or fill the AMP work queue.
    const b = await as({ role: "gateway", gateway: "gw-b" });
    expect(await delivered(a, b, s.gatewayInbox(gwB))).toBe(false);
    expect(await delivered(router, b, s.gatewayInbox(gwB))).toBe(true);
    expect(await publishRefused({ role: "gateway", gateway: "gw-a" }, s.ampWork("message", 0))).toBe(true);
    expect(await publishRefused({ role: "gateway", gateway: "gw-a" }, "$JS.API.INFO")).toBe(true);
    expect(await publishRefused({ role: "router" }, s.ampWork("message", 0))).toBe(false);
    expect(await delivered(worker, b, s.gatewayInbox(gwB))).toBe(true);
    // Only a router asks the gateways to re-register (docs/redis-loss.md); every gateway hears it.
    expect(await delivered(router, b, s.reregister())).toBe(true);
    expect(await delivered(a, b, s.reregister())).toBe(false);
  });

  it("gives the AMP worker no gateway envelopes to read", async () => {
    const worker = await as({ role: "amp-worker" });
    expect(await trySubscribe(worker, s.routerInbox("r1"))).toBe("PERMISSIONS_VIOLATION");
    expect(await trySubscribe(worker, s.gatewayInbox(gwA))).toBe("PERMISSIONS_VIOLATION");
  });
});
