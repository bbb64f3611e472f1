// A slow consumer (issue 13): a client with XEP-0198 resumption stops reading its socket while
// another sends it more than the outbound bound. docs/architecture.md "Limits": at the bound its stream
// ends with resource-constraint; invariant 1: every message acknowledged to its sender ends
// delivered, stored offline (up to the quota) or bounced to the sender, never silently gone; and
// each outcome is counted (xmpp_<service>_stanza_outcomes_total). Small limits stand in for the
// production 1,000 stanzas / 100 offline messages: the bug was the same with them.
import { afterAll, describe, expect, it } from "vitest";
import { createPgClient, type SqlClient } from "@xmppd/storage";
import { waitFor } from "@xmppd/testkit";
import type { Proc } from "./support/topology.ts";
import { useCluster } from "./support/cluster.ts";
import { SmClient } from "./support/sm-client.ts";

const BOUND = 20;
const QUOTA = 10;
const SENT = 60;
const TIMEOUT_S = 2;
const cluster = useCluster(
  {
    gateways: 1,
    routers: 1,
    ampWorkers: 1,
    env: {
      XMPPD__gateway__limits__outboundStanzas: String(BOUND),
      XMPPD__gateway__streamManagement__resumeTimeoutSeconds: String(TIMEOUT_S),
      XMPPD__offline__quota: String(QUOTA),
    },
  },
  ["sam", "bob"],
);
const port = () => cluster.topo.of("gateway")[0]!.c2sPort;
let sql: SqlClient | null = null;
afterAll(async () => sql?.close());

async function metric(proc: Proc, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${proc.opsPort}/metrics`)).text();
  return [...text.matchAll(new RegExp(pattern.source, "gm"))].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function storedIds(owner: string): Promise<string[]> {
  sql ??= createPgClient({ url: cluster.topo.databaseUrl });
  const res = await sql.query<{ stanza: string }>(`SELECT stanza FROM amp.offline_messages WHERE owner = $1 ORDER BY order_key, id`, [owner]);
  return res.rows.map((r) => /id="(m\d+)"/.exec(r.stanza)?.[1] ?? r.stanza);
}

describe("a resumable client that stops reading", () => {
  it("gets resource-constraint at the bound; after the resumption timeout every message is stored (to the quota) or bounced", async () => {
    const sam = await SmClient.login(port(), "sam", "sam-pw");
    await sam.bind("s");
    await sam.enable();
    sam.send("<presence/>");
    await sam.next((el) => el.name === "presence" && el.attrs.from === "sam@localhost/s");
    sam.stopReading();

    const bob = await SmClient.login(port(), "bob", "bob-pw");
    await bob.bind("b");
    await bob.enable();
    const ids = Array.from({ length: SENT }, (_, i) => `m${i + 1}`);
    const pad = "x".repeat(300);
    // In steps below the bound: the gateway's window towards the router shares the outbound
    // limits, and this test is about the recipient's queue, not the sender's.
    for (let at = 0; at < SENT; at += BOUND / 2) {
      for (const id of ids.slice(at, at + BOUND / 2)) bob.send(`<message to='sam@localhost/s' type='chat' id='${id}'><body>${id} ${pad}</body></message>`);
      // Every one of them acknowledged to bob: the server took responsibility for all.
      const upTo = Math.min(SENT, at + BOUND / 2);
      await waitFor(async () => (await bob.requestAck()) === upTo, { timeoutMs: 10_000, what: `bob's messages acknowledged to ${upTo}` });
    }

    const gateway = cluster.topo.of("gateway")[0]!;
    await waitFor(async () => (await metric(gateway, /^xmpp_gateway_stream_errors_total\{condition="resource-constraint"\} (\d+)/)) >= 1, {
      timeoutMs: 10_000,
      what: "sam's stream closed with resource-constraint",
    });
    sam.drop();
    // bob reads and acknowledges its errors as they come, as a client should: they come in a burst
    // (the AMP worker bounces a batch at once), and more than the bound unacknowledged would end
    // bob's stream with resource-constraint too.
    bob.autoAck = true;

    const bounced = () => bob.received.filter((el) => el.name === "message" && el.attrs.type === "error");
    const settled = await waitFor(
      async () => {
        const stored = await storedIds("sam@localhost");
        if (stored.length + bounced().length >= SENT) return stored;
        // Says, on a timeout, what was still missing.
        const seen = new Set([...stored, ...bounced().map((el) => String(el.attrs.id))]);
        throw new Error(`stored ${stored.length}, bounced ${bounced().length}, neither: ${ids.filter((id) => !seen.has(id)).join(" ")}`);
      },
      { timeoutMs: TIMEOUT_S * 1000 + 15_000, what: "every message stored or bounced" },
    );
    // Nothing more arrives after the last one settled (no message bounced and also stored).
    const bouncedIds = bounced().map((el) => String(el.attrs.id));
    expect([...settled, ...bouncedIds].sort()).toEqual([...ids].sort());
    expect(settled.length).toBe(QUOTA);
    for (const el of bounced()) {
      expect(el.attrs.from).toBe("sam@localhost");
      expect(el.getChild("error")?.getChild("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    }

    const amp = cluster.topo.of("amp")[0]!;
    expect(await metric(amp, /^xmpp_amp_stanza_outcomes_total\{outcome="stored"[^}]*\} (\d+)/)).toBe(QUOTA);
    expect(await metric(amp, /^xmpp_amp_stanza_outcomes_total\{outcome="bounced"[^}]*\} (\d+)/)).toBe(SENT - QUOTA);

    // Stored means delivered later: sam's next session gets them from storage, in order.
    const again = await SmClient.login(port(), "sam", "sam-pw");
    await again.bind("again");
    again.send("<presence/>");
    await again.until(() => again.bodies().length >= QUOTA, 10_000);
    expect(again.received.filter((el) => el.name === "message").map((el) => el.attrs.id)).toEqual(settled);
    await Promise.all([again.close(), bob.close()]);
  });
});
