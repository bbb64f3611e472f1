// What a plain (non-TLS) stream is offered when TLS is optional: no -PLUS mechanism, no
// channel-binding types, no registration or legacy authentication, even when configured; and
// the pre-authentication IQs are refused at the gateway without reaching a router.
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

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

async function setup(): Promise<{ gateway: Gateway; router: FakeRouter; client: RawClient }> {
  const cluster = `gwa-${Math.random().toString(36).slice(2, 10)}`;
  const dataDir = await mkdtemp(join(tmpdir(), "gw-auth-"));
  const config = configSchema.parse({
    cluster, domains: ["localhost"], dataDir, log: { level: "silent" },
    heartbeat: { intervalMs: 50, deadAfterMs: 200 },
    gateway: { host: "127.0.0.1", c2sPort: 0, tlsPort: 0, httpPort: 0, drainMs: 500, tls: { required: false } },
    sasl: { mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"] },
    registration: { enabled: true },
    legacyAuth: { enabled: true },
  });
  const bus: Bus = createMemoryBus();
  const gateway = await createGateway({ config, bus, log: createLogger({ service: "connection-gateway", level: "silent" }) });
  await gateway.start();
  const router = startFakeRouter(bus, subjects(cluster), "r1");
  const client = await RawClient.connect(gateway.c2sPort());
  cleanup = async () => {
    client.close();
    router.kill();
    await gateway.stop();
    await bus.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  return { gateway, router, client };
}

describe("ways in on a plain stream (TLS optional)", () => {
  it("offers the mechanisms without -PLUS and nothing else", async () => {
    const { client } = await setup();
    client.send(streamHeader());
    const [features] = await client.waitFor(/<stream:features>.*<\/stream:features>/s);
    expect(features).toBe(
      `<stream:features><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/><mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>SCRAM-SHA-256</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>`);
  });

  it("refuses registration and legacy authentication with not-allowed, and relays <auth/> without binding data", async () => {
    const { client, router } = await setup();
    client.send(streamHeader());
    await client.waitFor(/<\/stream:features>/);
    client.send("<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>u</username><password>p</password></query></iq>");
    const [register] = await client.waitFor(/<iq [^>]*id="r1".*?<\/iq>/s);
    expect(register).toContain(`<error type="cancel"><not-allowed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">TLS is required</text></error>`);
    client.send("<iq type='get' id='a1'><query xmlns='jabber:iq:auth'/></iq>");
    const [auth] = await client.waitFor(/<iq [^>]*id="a1".*?<\/iq>/s);
    expect(auth).toContain(`<not-allowed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`);
    client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>");
    await client.waitFor(/<success /);
    const relayed = router.received.filter((m: ToRouter) => m.t !== "open");
    expect(relayed.map((m) => m.t)).toEqual(["sasl"]);
    expect(relayed[0]).not.toHaveProperty("cb");
  });
});
