// Our separate-process topology on this machine (test/support/topology.ts) as a bench target:
// gateways, routers and AMP workers with their own NATS, on the machine's Redis and Postgres,
// with the gateway's per-connection and per-IP limits raised out of the way of the load.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { createPgClient } from "@xmppd/storage";
import { startTopology } from "../../test/support/topology.ts";
import { heapAfterGc, inspectorUrl } from "../heap.ts";
import { pidsByName } from "../procs.ts";
import type { ProcRef, Target } from "../target.ts";

export interface XmppdOptions {
  gateways: number;
  routers: number;
  ampWorkers: number;
  /** More configuration, e.g. XMPPD__offline__quota. */
  env?: Record<string, string>;
}

export const UNLIMITED_ENV: Record<string, string> = {
  // BENCH_LOG_LEVEL=info (with BENCH_LOGS=dir) to see what a run did.
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
  XMPPD__gateway__limits__stanzasPerSecond: "100000", XMPPD__gateway__limits__stanzasBurst: "100000",
  XMPPD__gateway__limits__bytesPerSecond: "100000000", XMPPD__gateway__limits__bytesBurst: "100000000",
  XMPPD__gateway__limits__connectionsPerIp: "100000", XMPPD__gateway__limits__newConnectionsPerIpPer10s: "100000",
  XMPPD__heartbeat__deadAfterMs: "5000",
};

export async function startXmppd(o: XmppdOptions): Promise<Target & { describe: string }> {
  const topo = await startTopology({
    gateways: o.gateways, routers: o.routers, ampWorkers: o.ampWorkers, inspect: true,
    // As the image runs them: loading the source maps (the topology's default, for readable test
    // logs) keeps every loaded package's map in the heap, 0.7-1.1 MiB per process.
    sourceMaps: false,
    // BENCH_PROFILE=dir writes a V8 CPU profile of every service process there when it exits.
    // BENCH_NODE_ARGS adds node flags to every service process (say --perf-basic-prof, for perf).
    nodeArgs: [
      ...(process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`, ...(process.env.BENCH_PROFILE_US ? [`--cpu-prof-interval=${process.env.BENCH_PROFILE_US}`] : [])] : []),
      ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(/\s+/).filter(Boolean) : []),
    ],
    env: { ...UNLIMITED_ENV, ...o.env },
  });
  // One connection of the bench's own, to list the run database's backends (not counted itself).
  const sql = await createPgClient({ url: topo.databaseUrl });
  const redisPids = pidsByName("redis-server");
  let made = 0;
  const serviceProcesses = (): ProcRef[] => topo.procs.filter((p) => p.child.exitCode === null).map((p) => ({ label: p.kind, pid: p.child.pid! }));
  return {
    name: "xmppd",
    describe: `xmppd ${o.gateways} gateways, ${o.routers} routers, ${o.ampWorkers} AMP workers`,
    host: "127.0.0.1",
    ports: topo.of("gateway").map((g) => g.c2sPort),
    domain: topo.domain,
    serviceProcesses,
    async processes() {
      const rows = await sql.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()");
      return [
        ...serviceProcesses(),
        { label: "nats-server", pid: topo.nats.pid },
        // The machine's Redis: other work on this machine may use it too (read its CPU as an upper bound).
        ...redisPids.map((pid) => ({ label: "redis-server", pid })),
        ...rows.rows.map((r) => ({ label: "postgres backend", pid: Number(r.pid) })),
      ];
    },
    async heapBytes() {
      const sizes = await Promise.all(topo.procs.map((p) => heapAfterGc(inspectorUrl(p.logFile))));
      return sizes.reduce((a, b) => a + b, 0);
    },
    async counter(name) {
      let sum = 0;
      for (const p of topo.procs) {
        const text = await (await fetch(`http://127.0.0.1:${p.opsPort}/metrics`)).text();
        for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))) sum += Number(m[1]);
      }
      return sum;
    },
    async redisBytes() {
      const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
      let total = 0;
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${topo.cluster}:*`, "COUNT", 1000);
        cursor = next;
        for (const key of keys) total += Number(await redis.memory("USAGE", key)) || 0;
      } while (cursor !== "0");
      redis.disconnect();
      return total;
    },
    async addUsers(n) {
      const names: string[] = [];
      for (; made < n; made++) names.push(`bench${made}`);
      if (names.length) await topo.addUsers(names, "bench");
    },
    async stop() {
      await sql.close();
      // BENCH_LOGS=dir keeps every service process's log (the topology deletes its own).
      if (process.env.BENCH_LOGS) {
        mkdirSync(process.env.BENCH_LOGS, { recursive: true });
        for (const p of topo.procs) if (existsSync(p.logFile)) copyFileSync(p.logFile, join(process.env.BENCH_LOGS, `${p.name}-${p.child.pid}.log`));
      }
      await topo.stop();
    },
  };
}
