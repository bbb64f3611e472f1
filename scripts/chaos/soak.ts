// --soak <minutes>: steady load with no faults, sampling every process's /metrics (docs/metrics.md)
// for resident memory, event-loop lag and the queues that exist, and reporting the trend: the
// mean of the last quarter of the samples against the first quarter's (after a warm-up).
import { sleep } from "./client.ts";
import { startChaosCluster } from "./cluster.ts";
import { Fleet } from "./fleet.ts";
import type { PhaseCounts } from "./ledger.ts";
import { startLoad } from "./load.ts";

/** Per process kind, the series that must stay flat. */
const SERIES = {
  rssBytes: (prefix: string) => `xmpp_${prefix}_process_resident_memory_bytes`,
  lagP99Seconds: (prefix: string) => `xmpp_${prefix}_nodejs_eventloop_lag_p99_seconds`,
} as const;
const QUEUES = ["xmpp_gateway_bus_unacked_envelopes", "xmpp_amp_queue_pending", "xmpp_amp_timers_pending", "xmpp_gateway_connections"];
const PREFIX = { gateway: "gateway", router: "router", amp: "amp" } as const;

export interface SoakOptions {
  minutes: number;
  clients: number;
  rate: number;
  ampShare: number;
  sampleSeconds: number;
  log(line: string): void;
}

export interface SoakTrend {
  metric: string;
  first: number;
  last: number;
  /** last / first - 1 */
  growth: number;
  flat: boolean;
}

export interface SoakReport {
  options: Omit<SoakOptions, "log">;
  samples: { at: number; values: Record<string, number> }[];
  trends: SoakTrend[];
  counts: PhaseCounts;
  ok: boolean;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const cluster = await startChaosCluster({ gateways: 2, routers: 2, ampWorkers: 2 });
  const usernames = Array.from({ length: o.clients }, (_, i) => `chaos${i}`);
  const fleet = new Fleet(usernames, cluster.domain, cluster.gatewayPorts);
  const samples: SoakReport["samples"] = [];
  try {
    await cluster.addUsers(usernames, "chaos");
    await fleet.connectAll();
    const ledger = fleet.beginPhase("soak");
    const load = startLoad(fleet, { rate: o.rate, ampShare: o.ampShare });
    const end = Date.now() + o.minutes * 60_000;
    while (Date.now() < end) {
      await sleep(o.sampleSeconds * 1000);
      const values: Record<string, number> = {};
      for (const p of cluster.set.procs.filter((p) => p.child.exitCode === null)) {
        const text = await fetch(`http://127.0.0.1:${p.opsPort}/metrics`).then((r) => r.text(), () => "");
        for (const [key, name] of Object.entries(SERIES)) add(values, `${p.kind}.${key}`, read(text, name(PREFIX[p.kind])));
        for (const q of QUEUES) if (text.includes(q)) add(values, q, read(text, q));
      }
      samples.push({ at: Date.now(), values });
      o.log(Object.entries(values).map(([k, v]) => `${k}=${k.includes("Bytes") ? `${(v / 2 ** 20).toFixed(0)}MiB` : round(v)}`).join(" "));
    }
    load.stop();
    await sleep(5000);
    const counts = ledger.counts(await cluster.storedIds());
    const trends = trend(samples);
    return { options: { ...o, log: undefined } as Omit<SoakOptions, "log">, samples, trends, counts, ok: counts.lost === 0 && trends.every((t) => t.flat) };
  } finally {
    await Promise.all(fleet.clients.map((c) => c.stop()));
    await cluster.stop();
  }
}

/** Memory may grow 20% and queues by 100 items before a trend counts as growing. */
function trend(samples: SoakReport["samples"]): SoakTrend[] {
  const usable = samples.slice(Math.floor(samples.length / 5));
  const quarter = Math.max(1, Math.floor(usable.length / 4));
  const mean = (xs: typeof usable, k: string) => xs.reduce((a, s) => a + (s.values[k] ?? 0), 0) / Math.max(1, xs.length);
  const keys = [...new Set(usable.flatMap((s) => Object.keys(s.values)))];
  return keys.map((metric) => {
    const first = mean(usable.slice(0, quarter), metric);
    const last = mean(usable.slice(-quarter), metric);
    const growth = first > 0 ? last / first - 1 : last > 0 ? Infinity : 0;
    const flat = metric.includes("rssBytes") ? growth < 0.2 : metric.includes("lag") ? last < 0.25 : last - first < 100;
    return { metric, first, last, growth, flat };
  });
}

function read(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))) sum += Number(m[1]);
  return sum;
}

/** Memory and queues add up over a kind's processes; lag takes the worst. */
function add(values: Record<string, number>, key: string, v: number): void {
  values[key] = key.includes("lag") ? Math.max(values[key] ?? 0, v) : (values[key] ?? 0) + v;
}

const round = (v: number) => (Math.abs(v) < 10 ? v.toFixed(3) : v.toFixed(0));
