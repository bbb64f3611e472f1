// `npm run bench`: login rate, memory per idle session and 1:1 message throughput with latency
// percentiles. By default it starts the separate-process topology on this machine; with --host
// it measures any XMPP server (ejabberd, Prosody) that has users bench0..benchN-1 with password
// "bench" and allows PLAIN without TLS. With --compare it runs bench/compare.ts instead: ejabberd
// and Prosody started here, the same scenarios on all three, one ratio table.
import { parseArgs } from "node:util";
import { rssKiB } from "./procs.ts";
import { connect, inBatches, type Target } from "./target.ts";
import { chat } from "./scenarios/chat.ts";
import { logins } from "./scenarios/logins.ts";
import type { Mechanism } from "./xmpp-conn.ts";

if (process.argv.includes("--compare")) {
  await import("./compare.ts");
} else {
  await single();
}

async function single(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      host: { type: "string" },
      port: { type: "string", default: "5222" },
      domain: { type: "string", default: "localhost" },
      gateways: { type: "string", default: "2" },
      routers: { type: "string", default: "2" },
      "amp-workers": { type: "string", default: "1" },
      logins: { type: "string", default: "400" },
      // Logins in flight at once, and their SASL mechanism.
      parallel: { type: "string", default: "50" },
      mechanism: { type: "string", default: "PLAIN" },
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

  // Memory per idle session summed over every tier: the growth of V8 heap in use after a full GC
  // in every process (gateways, routers, AMP workers), plus what Redis holds for the sessions,
  // between a warm population (a fifth of the sessions, absorbing first-use allocations) and the
  // full one. RSS growth is reported beside it; it is noisy (start-up garbage, heap headroom).
  async function idleMemory(t: Target): Promise<{ heapAndRedis: number; rss: number } | null> {
    if (!t.heapBytes || !t.redisBytes) return null;
    const n = num("idle");
    const warm = args["idle-warm"] ? num("idle-warm") : Math.floor(n / 5);
    const pids = () => t.serviceProcesses().map((p) => p.pid);
    const measure = async () => {
      await new Promise((r) => setTimeout(r, 3000));
      return { heap: await t.heapBytes!(), redis: await t.redisBytes!(), rss: rssKiB(pids()) * 1024 };
    };
    const first = await inBatches(warm, 50, (i) => connect(t, i));
    const before = await measure();
    const rest = await inBatches(n - warm, 50, (i) => connect(t, warm + i));
    const after = await measure();
    [...first, ...rest].forEach((c) => c.close());
    await new Promise((r) => setTimeout(r, 2000));
    const per = (k: "heap" | "redis" | "rss") => (after[k] - before[k]) / (n - warm) / 1024;
    return { heapAndRedis: per("heap") + per("redis"), rss: per("rss") };
  }

  const external = (): Target => ({
    name: `${args.host}:${args.port}`, ports: [num("port")], host: args.host!, domain: args.domain!,
    processes: async () => [], serviceProcesses: () => [], addUsers: async () => {}, stop: async () => {},
  });
  const { startXmppd } = await import("./servers/xmppd.ts");
  const target = args.host ? external() : await startXmppd({ gateways: num("gateways"), routers: num("routers"), ampWorkers: num("amp-workers") });
  try {
    await target.addUsers(Math.max(num("logins"), num("idle"), 2 * num("pairs")));
    const perSession = await idleMemory(target);
    if (args.only === "memory") {
      console.table({ heapAndRedisKiBPerSession: perSession?.heapAndRedis, rssKiBPerSession: perSession?.rss });
      return;
    }
    // Untimed first pass, then the timed one (logins.ts).
    const mechanism = args.mechanism as Mechanism;
    if (!["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"].includes(mechanism)) throw new Error("--mechanism: PLAIN, SCRAM-SHA-1 or SCRAM-SHA-256");
    const login = await logins(target, mechanism, num("logins"), num("parallel"));
    const storedBefore = (await target.counter?.("xmpp_amp_offline_stored_total")) ?? 0;
    const tp = await chat(target, { rate: num("rate"), seconds: num("seconds"), warmup: num("warmup"), pairs: num("pairs") });
    const storedDuring = target.counter ? (await target.counter("xmpp_amp_offline_stored_total")) - storedBefore : "n/a";
    const result = {
      target: "describe" in target ? String(target.describe) : target.name,
      loginsPerSecond: login.perSecond,
      idleKiBPerSession: perSession === null ? "n/a (external)" : Math.round(perSession.heapAndRedis * 10) / 10,
      idleRssKiBPerSession: perSession === null ? "n/a (external)" : Math.round(perSession.rss * 10) / 10,
      messages: tp.sent, received: tp.received, lost: tp.lost, viaOfflineQueue: storedDuring,
      messagesPerSecond: tp.messagesPerSecond, p50ms: tp.p50ms, p99ms: tp.p99ms,
    };
    console.table(result);
    if (args.host === undefined) console.table({ "CPU ms per 1,000 messages": tp.cpuMsPer1000ByProcess, "CPU ms per login": login.cpuMsPerLogin });
    console.log(JSON.stringify({ ...result, cpuMsPer1000: tp.cpuMsPer1000ByProcess }));
  } finally {
    await target.stop();
  }
  process.exit(0);
}
