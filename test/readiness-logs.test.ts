// A router and an AMP worker whose Redis is unreachable: /readyz answers 503 naming redis (and
// 200 again once it is back), and everything they print meanwhile is a JSON log line: ioredis's
// own "[ioredis] Unhandled error event" print (an ioredis client without an 'error' listener)
// must not appear, and its connection errors come as rate-limited warn lines instead.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startPrivateRedis, waitFor, type PrivateService } from "@xmppd/testkit";
import { startTopology, type Proc, type Topology } from "./support/topology.ts";

let redis: PrivateService;
let topo: Topology;

beforeAll(async () => {
  redis = await startPrivateRedis();
  topo = await startTopology({ redisUrl: redis.url, gateways: 1, routers: 1, ampWorkers: 1 });
});

afterAll(async () => {
  await topo?.stop();
  await redis?.stop();
});

async function readyz(p: Proc): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${p.opsPort}/readyz`);
  return { status: res.status, body: await res.text() };
}

it("answers /readyz 503 naming redis while Redis is away, 200 after, and prints only JSON lines", { timeout: 120_000 }, async () => {
  const affected = [...topo.of("router"), ...topo.of("amp")];
  await redis.kill();
  await waitFor(async () => (await Promise.all(affected.map(readyz))).every((r) => r.status === 503), { timeoutMs: 20_000, intervalMs: 100, what: "503 while Redis is away" });
  for (const p of affected) expect((await readyz(p)).body, p.name).toMatch(/^not ready: redis down since \S+ \(.+\)\n$/);
  // The drivers retry every few hundred ms: give them some attempts, then read the logs.
  const logged = (p: Proc) => readFileSync(p.logFile, "utf8").split("\n").filter(Boolean);
  await waitFor(() => affected.every((p) => logged(p).some((l) => l.includes('"msg":"redis connection error"'))), { timeoutMs: 20_000, what: "a redis connection error line" });
  await redis.start();
  await waitFor(async () => (await Promise.all(affected.map(readyz))).every((r) => r.status === 200), { timeoutMs: 30_000, intervalMs: 100, what: "200 once Redis is back" });
  for (const p of topo.procs) {
    const notJson = logged(p).filter((line) => {
      try {
        return typeof JSON.parse(line) !== "object";
      } catch {
        return true;
      }
    });
    expect(notJson, p.name).toEqual([]);
  }
  // Rate-limited: far fewer error lines than the reconnect attempts of an outage of some seconds.
  for (const p of affected) expect(logged(p).filter((l) => l.includes('"msg":"redis connection error"')).length, p.name).toBeLessThanOrEqual(2);
});
