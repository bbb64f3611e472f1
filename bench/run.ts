// `npm run bench`: login rate, memory per idle session and 1:1 message throughput with latency
// percentiles. By default it starts the separate-process topology on this machine; with --host
// it measures any XMPP server (ejabberd, Prosody) that has users bench0..benchN-1 with password
// "bench" and allows PLAIN without TLS.
import { parseArgs } from "node:util";
import { readdirSync, readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { BenchConn, type ConnOptions } from "./xmpp-conn.ts";
import { heapAfterGc, inspectorUrl } from "./heap.ts";

const { values: args } = parseArgs({
  options: {
    host: { type: "string" },
    port: { type: "string", default: "5222" },
    domain: { type: "string", default: "localhost" },
    gateways: { type: "string", default: "2" },
    routers: { type: "string", default: "2" },
    "amp-workers": { type: "string", default: "1" },
    logins: { type: "string", default: "400" },
    idle: { type: "string", default: "5000" },
    pairs: { type: "string", default: "50" },
    rate: { type: "string", default: "5000" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    // --only memory: just the idle-session memory; --idle-warm: the population it is measured from (default a fifth of --idle).
    only: { type: "string" },
    "idle-warm": { type: "string" },
  },
});

const num = (k: keyof typeof args) => Number(args[k]);

interface Target {
  ports: number[];
  host: string;
  domain: string;
  pids: number[];
  /** V8 heap in use after a full GC, summed over every process of ours. */
  heapBytes?(): Promise<number>;
  /** Bytes Redis holds for this cluster's keys. */
  redisBytes?(): Promise<number>;
  /** VmRSS in bytes of each kind of process (gateway, router, amp, summed) and of NATS and Redis. */
  rssByKind?(): Record<string, number>;
  /** CPU seconds used so far by each kind of process (gateway, router, amp) and by NATS and Redis. */
  cpuSeconds?(): Record<string, number>;
  /** A counter summed over every process's /metrics. */
  counter?(name: string): Promise<number>;
  addUsers(n: number): Promise<void>;
  stop(): Promise<void>;
}

async function ourTopology(): Promise<Target> {
  const { startTopology } = await import("../test/support/topology.ts");
  const topo = await startTopology({
    gateways: num("gateways"), routers: num("routers"), ampWorkers: num("amp-workers"), inspect: true, sourceMaps: false,
    // BENCH_PROFILE=dir writes a V8 CPU profile of every service process there when it exits.
    nodeArgs: process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [],
    env: { LOG_LEVEL: "warn", XMPPD__gateway__limits__stanzasPerSecond: "100000", XMPPD__gateway__limits__stanzasBurst: "100000", XMPPD__gateway__limits__bytesPerSecond: "100000000", XMPPD__gateway__limits__bytesBurst: "100000000", XMPPD__gateway__limits__connectionsPerIp: "100000", XMPPD__gateway__limits__newConnectionsPerIpPer10s: "100000", XMPPD__heartbeat__deadAfterMs: "5000" },
  });
  let made = 0;
  return {
    ports: topo.of("gateway").map((g) => g.c2sPort),
    host: "127.0.0.1",
    domain: topo.domain,
    pids: topo.procs.map((p) => p.child.pid!),
    async heapBytes() {
      const sizes = await Promise.all(topo.procs.map((p) => heapAfterGc(inspectorUrl(p.logFile))));
      return sizes.reduce((a, b) => a + b, 0);
    },
    rssByKind() {
      const out: Record<string, number> = {};
      for (const p of topo.procs) out[p.kind] = (out[p.kind] ?? 0) + rssKiB([p.child.pid!]) * 1024;
      out["nats-server"] = rssKiB([topo.nats.pid]) * 1024;
      for (const [name, pid] of Object.entries(serverPids())) if (name === "redis-server") out[name] = rssKiB([pid]) * 1024;
      return out;
    },
    cpuSeconds() {
      const out: Record<string, number> = {};
      for (const p of topo.procs) out[p.kind] = (out[p.kind] ?? 0) + cpuOf(p.child.pid!);
      // The topology's own NATS server; Redis is the machine's.
      out["nats-server"] = cpuOf(topo.nats.pid);
      for (const [name, pid] of Object.entries(serverPids())) if (name === "redis-server") out[name] = cpuOf(pid);
      return out;
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
      await topo.addUsers(names, "bench");
    },
    stop: () => topo.stop(),
  };
}

function external(): Target {
  return { ports: [num("port")], host: args.host!, domain: args.domain!, pids: [], addUsers: async () => {}, stop: async () => {} };
}

function rssKiB(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
    sum += m ? Number(m[1]) : 0;
  }
  return sum;
}

const TICKS_PER_SECOND = 100;

function cpuOf(pid: number): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function serverPids(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const dir of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const comm = readFileSync(`/proc/${dir}/comm`, "utf8").trim();
      if (comm === "nats-server" || comm === "redis-server") out[comm] = Number(dir);
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

let userSeq = 0;
function conn(t: Target, i: number): Promise<BenchConn> {
  const o: ConnOptions = {
    host: t.host, port: t.ports[i % t.ports.length]!, domain: t.domain,
    username: `bench${i}`, password: "bench", resource: `r${userSeq++}`,
    localAddress: `127.0.0.${2 + (i % 200)}`,
  };
  return BenchConn.open(o);
}

async function inBatches<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

async function loginRate(t: Target): Promise<number> {
  const n = num("logins");
  const start = performance.now();
  const conns = await inBatches(n, 50, (i) => conn(t, i));
  const secs = (performance.now() - start) / 1000;
  conns.forEach((c) => c.close());
  return n / secs;
}

// Memory per idle session summed over every tier: the growth of V8 heap in use after a full GC
// in every process (gateways, routers, AMP workers), plus what Redis holds for the sessions,
// between a warm population (a fifth of the sessions, absorbing first-use allocations) and the
// full one. RSS growth is reported beside it, by kind of process and for Redis and NATS (the
// machine's Redis: other users' keys move it too); it is noisy (start-up garbage, heap headroom).
async function idleMemory(t: Target): Promise<{ heapAndRedis: number; rss: number; rssByKind: Record<string, number>; rssMiB: [number, number] } | null> {
  if (!t.heapBytes || !t.redisBytes) return null;
  const n = num("idle");
  const warm = args["idle-warm"] ? num("idle-warm") : Math.floor(n / 5);
  const measure = async () => {
    await new Promise((r) => setTimeout(r, 3000));
    return { heap: await t.heapBytes!(), redis: await t.redisBytes!(), rss: rssKiB(t.pids) * 1024, byKind: t.rssByKind?.() ?? {} };
  };
  const first = await inBatches(warm, 50, (i) => conn(t, i));
  const before = await measure();
  const rest = await inBatches(n - warm, 50, (i) => conn(t, warm + i));
  const after = await measure();
  [...first, ...rest].forEach((c) => c.close());
  await new Promise((r) => setTimeout(r, 2000));
  const per = (k: "heap" | "redis" | "rss") => (after[k] - before[k]) / (n - warm) / 1024;
  const rssByKind = Object.fromEntries(Object.keys(after.byKind).map((k) => [k, Math.round(((after.byKind[k]! - (before.byKind[k] ?? 0)) / (n - warm) / 1024) * 100) / 100]));
  const total = (m: typeof before) => Math.round(Object.values(m.byKind).reduce((a, b) => a + b, 0) / 1048576);
  return { heapAndRedis: per("heap") + per("redis"), rss: per("rss"), rssByKind, rssMiB: [total(before), total(after)] };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

async function throughput(t: Target) {
  const pairs = num("pairs");
  const rate = num("rate");
  const seconds = num("seconds");
  const senders = await inBatches(pairs, 20, (i) => conn(t, i));
  const receivers = await inBatches(pairs, 20, (i) => conn(t, pairs + i));
  const latencies: number[] = [];
  let received = 0;
  // Latency counts from the end of the warm-up (JIT, first lookups); loss counts from the start.
  let measureFrom = Infinity;
  for (const r of receivers) {
    r.onMessageBody = (body) => {
      received++;
      const sentAt = Number(body);
      if (sentAt >= measureFrom) latencies.push(performance.now() - sentAt);
    };
  }
  await new Promise((r) => setTimeout(r, 500));
  let sent = 0;
  const start = performance.now();
  measureFrom = start + num("warmup") * 1000;
  await new Promise<void>((done) => {
    // Paced by elapsed time, not by timer ticks, which drift under load.
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (sent < due) {
        const k = sent % pairs;
        senders[k]!.send(`<message to='${receivers[k]!.jid}' type='chat'><body>${performance.now()}</body></message>`);
        sent++;
      }
      if (performance.now() - start >= (seconds + num("warmup")) * 1000) {
        clearInterval(timer);
        done();
      }
    }, 10);
  });
  const sendSecs = (performance.now() - start) / 1000;
  const deadline = Date.now() + 10_000;
  while (received < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  latencies.sort((a, b) => a - b);
  [...senders, ...receivers].forEach((c) => c.close());
  return { sent, received, lost: sent - received, rate: received / sendSecs, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const target = args.host ? external() : await ourTopology();
try {
  await target.addUsers(Math.max(num("logins"), num("idle"), 2 * num("pairs")));
  const perSession = await idleMemory(target);
  if (args.only === "memory") {
    const memory = perSession === null ? "n/a (external)" : {
      sessions: `${args["idle-warm"] ?? Math.floor(num("idle") / 5)} -> ${num("idle")}`,
      heapAndRedisKiBPerSession: Math.round(perSession.heapAndRedis * 10) / 10,
      rssKiBPerSession: Math.round(perSession.rss * 10) / 10,
      rssKiBPerSessionWithRedisAndNats: Math.round((perSession.rss + (perSession.rssByKind["redis-server"] ?? 0) + (perSession.rssByKind["nats-server"] ?? 0)) * 10) / 10,
      rssMiBWithRedisAndNats: perSession.rssMiB.join(" -> "),
    };
    console.table(memory);
    if (perSession) console.table({ "RSS KiB per idle session": perSession.rssByKind });
    console.log(JSON.stringify({ memory, rssKiBPerSessionByKind: perSession?.rssByKind }));
    await target.stop();
    process.exit(0);
  }
  const logins = await loginRate(target);
  const storedBefore = (await target.counter?.("xmpp_amp_offline_stored_total")) ?? 0;
  const cpuBefore = target.cpuSeconds?.() ?? {};
  const tp = await throughput(target);
  const cpuAfter = target.cpuSeconds?.() ?? {};
  // CPU milliseconds per 1,000 messages, by process kind: what a message costs each tier.
  const cpuPer1000 = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, Math.round(((cpuAfter[k]! - (cpuBefore[k] ?? 0)) * 1e6) / Math.max(1, tp.received))]));
  const storedDuring = target.counter ? (await target.counter("xmpp_amp_offline_stored_total")) - storedBefore : "n/a";
  const result = {
    target: args.host ? `${args.host}:${args.port}` : `xmppd ${args.gateways} gateways, ${args.routers} routers, ${args["amp-workers"]} AMP workers`,
    loginsPerSecond: Math.round(logins),
    idleKiBPerSession: perSession === null ? "n/a (external)" : Math.round(perSession.heapAndRedis * 10) / 10,
    idleRssKiBPerSession: perSession === null ? "n/a (external)" : Math.round(perSession.rss * 10) / 10,
    messages: tp.sent, received: tp.received, lost: tp.lost, viaOfflineQueue: storedDuring,
    messagesPerSecond: Math.round(tp.rate), p50ms: Math.round(tp.p50 * 100) / 100, p99ms: Math.round(tp.p99 * 100) / 100,
  };
  console.table(result);
  if (target.cpuSeconds) console.table({ "CPU ms per 1,000 messages": cpuPer1000 });
  console.log(JSON.stringify({ ...result, cpuMsPer1000: cpuPer1000 }));
} finally {
  await target.stop();
}
process.exit(0);
