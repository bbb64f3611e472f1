// `npm run bench:amp`: what XEP-0079 costs and how AMP workers scale, on the separate-process
// topology of this machine.
//  1. Cost: the same paced 1:1 load, once plain and once with an <amp/> rule that is evaluated
//     and not met (so both are delivered): CPU per 1,000 messages by tier, and latency.
//  2. Scaling: a backlog of AMP messages for offline users (stored with an expire-at) is queued
//     with no worker running; then 1 or 3 workers start and the rate at which they drain what is
//     left once all are ready is measured, with how many cores the machine kept busy meanwhile.
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import pg from "pg";
import { BenchConn } from "./xmpp-conn.ts";
import { limitCpu } from "./cpu-limit.ts";
import { startTopology, type Topology } from "../test/support/topology.ts";

const { values: args } = parseArgs({
  options: {
    pairs: { type: "string", default: "50" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "8" },
    backlog: { type: "string", default: "6000" },
    /** amp.partitions for this run (default: the configuration's). */
    partitions: { type: "string" },
    /** Scaling: limit each worker to this many cores (a Kubernetes CPU limit); default unlimited. */
    "worker-cpu": { type: "string" },
    /** Run only one part: "cost" or "scaling". */
    only: { type: "string" },
  },
});
const num = (k: keyof typeof args) => Number(args[k]);

const ENV = {
  LOG_LEVEL: "warn", XMPPD__amp__security: "none",
  XMPPD__gateway__limits__stanzasPerSecond: "100000", XMPPD__gateway__limits__stanzasBurst: "100000",
  XMPPD__gateway__limits__bytesPerSecond: "100000000", XMPPD__gateway__limits__bytesBurst: "100000000",
  XMPPD__gateway__limits__connectionsPerIp: "100000", XMPPD__gateway__limits__newConnectionsPerIpPer10s: "100000",
  XMPPD__heartbeat__deadAfterMs: "5000", XMPPD__offline__quota: "100000",
  ...(args.partitions ? { XMPPD__amp__partitions: args.partitions } : {}),
};

// BENCH_PROFILE=dir: a V8 CPU profile of every service process, written there when it exits.
const PROFILE = process.env.BENCH_PROFILE ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] } : {};

const RULE_NOT_MET = "<amp xmlns='http://jabber.org/protocol/amp'><rule condition='deliver' action='drop' value='none'/></amp>";

function conn(topo: Topology, i: number, user: number): Promise<BenchConn> {
  const gws = topo.of("gateway");
  return BenchConn.open({
    host: "127.0.0.1", port: gws[i % gws.length]!.c2sPort, domain: topo.domain,
    username: `bench${user}`, password: "bench", resource: `r${i}`, localAddress: `127.0.0.${2 + (i % 200)}`,
  });
}

function cpuSeconds(topo: Topology): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of topo.procs) {
    try {
      const f = readFileSync(`/proc/${p.child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      out[p.kind] = (out[p.kind] ?? 0) + (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // exited
    }
  }
  return out;
}

async function counter(topo: Topology, name: string): Promise<number> {
  let sum = 0;
  for (const p of topo.of("router").concat(topo.of("amp"))) {
    const text = await (await fetch(`http://127.0.0.1:${p.opsPort}/metrics`)).text();
    for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))) sum += Number(m[1]);
  }
  return sum;
}

async function paced(topo: Topology, amp: boolean) {
  const pairs = num("pairs");
  const rate = num("rate");
  const senders = await Promise.all(Array.from({ length: pairs }, (_, i) => conn(topo, i, i)));
  const receivers = await Promise.all(Array.from({ length: pairs }, (_, i) => conn(topo, pairs + i, pairs + i)));
  const latencies: number[] = [];
  for (const r of receivers) r.onMessageBody = (body) => void latencies.push(performance.now() - Number(body));
  await new Promise((r) => setTimeout(r, 500));
  const cpuBefore = cpuSeconds(topo);
  let sent = 0;
  let n = 0;
  const start = performance.now();
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      for (; sent < due; sent++) {
        const k = sent % pairs;
        senders[k]!.send(`<message to='${receivers[k]!.jid}' type='chat' id='b${n++}'><body>${performance.now()}</body>${amp ? RULE_NOT_MET : ""}</message>`);
      }
      if (performance.now() - start >= num("seconds") * 1000) done(clearInterval(timer));
    }, 10);
  });
  const deadline = Date.now() + 15_000;
  while (latencies.length < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const cpuAfter = cpuSeconds(topo);
  [...senders, ...receivers].forEach((c) => c.close());
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! * 100) / 100;
  const cpuMsPer1000 = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, Math.round(((cpuAfter[k]! - (cpuBefore[k] ?? 0)) * 1e6) / Math.max(1, latencies.length))]));
  return { kind: amp ? "amp" : "plain", sent, received: latencies.length, p50ms: pct(50), p99ms: pct(99), cpuMsPer1000 };
}

async function drain(workers: number): Promise<{ workers: number; messages: number; seconds: number; perSecond: number; busyCores: number; cores: Record<string, number>; ampUsPerMessage: number }> {
  const topo = await startTopology({ gateways: 1, routers: 1, ampWorkers: 0, env: ENV, ...PROFILE });
  const unlimit: (() => void)[] = [];
  try {
    const backlog = num("backlog");
    const senders = 20;
    await topo.addUsers(Array.from({ length: senders + 200 }, (_, i) => `bench${i}`), "bench");
    const conns = await Promise.all(Array.from({ length: senders }, (_, i) => conn(topo, i, i)));
    const at = new Date(Date.now() + 3600_000).toISOString();
    for (let i = 0; i < backlog; i++) {
      // Offline recipients bench20..bench219: each message is stored with an expiry timer.
      conns[i % senders]!.send(`<message to='bench${senders + (i % 200)}@${topo.domain}' type='chat' id='q${i}'><body>x</body><amp xmlns='http://jabber.org/protocol/amp'><rule condition='expire-at' action='drop' value='${at}'/></amp></message>`);
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 50));
    }
    while ((await counter(topo, 'xmpp_router_stanzas_routed_total\\{kind="message",outcome="amp"\\}')) < backlog) await new Promise((r) => setTimeout(r, 200));
    // The workers start together; the clock runs once the last is ready, over what is left, so
    // that start-up (compiling TypeScript) is not measured.
    const started = await Promise.all(Array.from({ length: workers }, () => topo.start("amp")));
    const cores = args["worker-cpu"] ? Number(args["worker-cpu"]) : undefined;
    if (cores) for (const p of started) unlimit.push(limitCpu(p.child.pid!, cores, `xmppd-bench-${p.name}-${p.child.pid}`));
    // Rows are counted in Postgres, not through the workers' /metrics: a scrape every 50 ms costs a
    // worker limited to a quarter core a large part of it, three times over with three workers.
    const db = new pg.Client({ connectionString: topo.databaseUrl });
    await db.connect();
    const stored = async () => Number((await db.query("SELECT count(*) AS n FROM amp.offline_messages")).rows[0].n);
    const storedAtStart = await stored();
    const cpuBefore = machineCpuSeconds();
    const ourBefore = cpuSeconds(topo);
    const start = performance.now();
    while ((await stored()) < backlog) await new Promise((r) => setTimeout(r, 50));
    await db.end();
    const seconds = (performance.now() - start) / 1000;
    const busyCores = (machineCpuSeconds() - cpuBefore) / seconds;
    const ourAfter = cpuSeconds(topo);
    conns.forEach((c) => c.close());
    const measured = backlog - storedAtStart;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    // Cores each kind of our process used while draining: a limited worker below its limit waits on something else.
    const coresByKind = Object.fromEntries(Object.keys(ourAfter).map((k) => [k, r2((ourAfter[k]! - (ourBefore[k] ?? 0)) / seconds)]));
    // The workers' CPU per message: what a worker limited to a quarter core can drain follows from it, whatever the load.
    const ampUsPerMessage = Math.round((((ourAfter.amp ?? 0) - (ourBefore.amp ?? 0)) * 1e6) / Math.max(1, measured));
    return { workers, messages: measured, seconds: r2(seconds), perSecond: Math.round(measured / seconds), busyCores: r2(busyCores), cores: coresByKind, ampUsPerMessage };
  } finally {
    await topo.stop();
    unlimit.forEach((f) => f());
  }
}

/** CPU seconds used by the whole machine so far (every process, Postgres and NATS included). */
function machineCpuSeconds(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system (idle iowait excluded) irq softirq steal
  return (fields[0]! + fields[1]! + fields[2]! + fields[5]! + fields[6]! + fields[7]!) / 100;
}

let cost: Awaited<ReturnType<typeof paced>>[] = [];
if (args.only !== "scaling") {
  const topo = await startTopology({ gateways: 2, routers: 2, ampWorkers: 2, env: ENV, ...PROFILE });
  try {
    await topo.addUsers(Array.from({ length: 2 * num("pairs") }, (_, i) => `bench${i}`), "bench");
    cost = [await paced(topo, false), await paced(topo, true)];
  } finally {
    await topo.stop();
  }
  console.table(cost.map(({ cpuMsPer1000, ...rest }) => ({ ...rest, ...cpuMsPer1000 })));
}
const scaling = args.only === "cost" ? [] : [await drain(1), await drain(3)];
if (scaling.length) console.table(scaling);
console.log(JSON.stringify({ cost, scaling, drainSpeedup3vs1: scaling.length ? Math.round((scaling[1]!.perSecond / scaling[0]!.perSecond) * 100) / 100 : undefined }));
process.exit(0);
