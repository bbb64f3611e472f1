// The work queue across a NATS crash, on a secured server of its own (TLS, nkeys, the
// production permissions) that keeps its JetStream store: a router's bus publishes, an AMP
// worker's bus consumes. Messages stored before the crash, in a handler's hands when it
// happened (their acks are lost), and published after the restart are all consumed; none lost.
import { afterEach, describe, expect, it } from "vitest";
import { startSecureNats, uniqueId, waitFor, type SecureNats } from "@xmppd/testkit";
import { ampQueue } from "./amp-queue.ts";
import { createNatsBus, type NatsBus } from "./nats-bus.ts";
import { subjects } from "./subjects.ts";
import type { BusIdentity } from "./permissions.ts";
import type { Consumer, WorkMessage } from "./types.ts";

const opened: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function busOf(nats: SecureNats, who: BusIdentity): Promise<NatsBus> {
  const bus = await createNatsBus({ url: nats.url, name: `restart-${who.role}`, seedFile: nats.secrets.seedFile(who), caFile: nats.caFile });
  opened.push(bus);
  return bus;
}

const text = (m: WorkMessage) => new TextDecoder().decode(m.data);
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe.each([1, 4])("AMP work queue with %i partitions across a NATS restart", (partitions) => {
  it("consumes every message published before, during handling and after the crash", { timeout: 60_000 }, async () => {
    const cluster = uniqueId("natsrestart");
    const nats = await startSecureNats({ cluster, gateways: [] });
    opened.push({ close: () => nats.stop() });
    const amp = ampQueue(subjects(cluster), partitions);
    const routerBus = await busOf(nats, { role: "router" });
    const router = await routerBus.workQueue(amp.spec);
    const worker = await (await busOf(nats, { role: "amp-worker" })).workQueue(amp.spec);

    // The first messages are held by the handler until NATS is down: their acks go nowhere.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const acked = new Set<string>();
    let inHand = 0;
    const consumer: Consumer = await worker.consume(async (m) => {
      if (m.deliveryCount === 1 && text(m).startsWith("before")) {
        inHand++;
        await held;
      }
      m.ack();
      acked.add(text(m));
    }, { concurrency: 4, ackWaitMs: 2_000 });
    opened.push({ close: () => consumer.stop() });

    const before = ids("before", 12);
    for (const [i, id] of before.entries()) await router.publish(amp.subject("message", `u${i}@localhost`), new TextEncoder().encode(id), { msgId: id });
    await waitFor(() => inHand > 0, { what: "a message in the handler's hands" });
    await nats.kill();
    release();
    await nats.start();

    // As a router's readiness probe does: publish once its bus answers again (until then a router
    // leaves the gateway's stanzas unacknowledged, and they are sent again).
    await waitFor(() => routerBus.flush().then(() => true, () => false), { what: "the router's bus connected again" });
    const after = ids("after", 12);
    for (const [i, id] of after.entries()) await router.publish(amp.subject("message", `u${i}@localhost`), new TextEncoder().encode(id), { msgId: id });
    await waitFor(async () => acked.size === before.length + after.length && (await worker.pending()) === 0, { timeoutMs: 30_000, what: "every message consumed and acknowledged" });
    expect([...acked].sort()).toEqual([...before, ...after].sort());
  });
});
