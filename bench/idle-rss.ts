// `npm run bench:idle-rss -- [--runner dist|tsx] [--idle-seconds 10] [--runs 1] [--source-maps]
// [--node-args=...]`: resident memory of
// an idle cluster, one gateway, two routers and one AMP worker (test/support/topology.ts against the
// local NATS, Redis and Postgres), read from /proc/<pid>/status VmRSS after it has been idle, with
// each process's start-up time to ready and its process.memoryUsage() (read through the inspector
// unless --no-breakdown, which starts them without it).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { startTopology } from "../test/support/topology.ts";
import { inspectorUrl } from "./heap.ts";

const { values: args } = parseArgs({
  options: {
    runner: { type: "string", default: "dist" },
    "idle-seconds": { type: "string", default: "10" },
    runs: { type: "string", default: "1" },
    "no-breakdown": { type: "boolean", default: false },
    "node-args": { type: "string", default: "" },
    "source-maps": { type: "boolean", default: false },
  },
});
const runner = args.runner === "tsx" ? "tsx" : "dist";
const breakdown = !args["no-breakdown"];

function status(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/** process.memoryUsage() inside a process, and the committed size of each V8 heap space, through its inspector. */
async function memoryUsage(url: string): Promise<Record<string, number>> {
  const ws = new WebSocket(url);
  await new Promise((res, rej) => ws.once("open", res).once("error", rej));
  const result = await new Promise<Record<string, number>>((resolve) => {
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: { result?: { value?: string } } };
      if (msg.id === 1) resolve(JSON.parse(msg.result?.result?.value ?? "{}") as Record<string, number>);
    });
    ws.send(JSON.stringify({ id: 1, method: "Runtime.evaluate", params: { expression: EXPRESSION, returnByValue: true, includeCommandLineAPI: true } }));
  });
  ws.close();
  return result;
}

// require() is the inspector console's (includeCommandLineAPI).
const EXPRESSION = `JSON.stringify({ ...process.memoryUsage(), ...Object.fromEntries(require("node:v8").getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size])) })`;
const MiB = (kib: number) => Math.round(kib / 1024);
const spaces = ["new_space", "old_space", "code_space", "large_object_space"];
const rows: Record<string, string | number>[] = [];
for (let run = 0; run < Number(args.runs); run++) {
  const started = performance.now();
  const topo = await startTopology({
    gateways: 1, routers: 2, ampWorkers: 1, runner, inspect: breakdown, sourceMaps: args["source-maps"],
    nodeArgs: args["node-args"] ? args["node-args"].split(/\s+/) : [],
    env: { LOG_LEVEL: "warn", XMPPD__heartbeat__intervalMs: "1000", XMPPD__heartbeat__deadAfterMs: "5000" },
  });
  const total = Math.round(performance.now() - started);
  try {
    await new Promise((r) => setTimeout(r, Number(args["idle-seconds"]) * 1000));
    for (const p of topo.procs) {
      const pid = p.child.pid!;
      const mu = breakdown ? await memoryUsage(inspectorUrl(p.logFile)) : {};
      rows.push({
        run, process: p.name, runner, readyMs: p.readyMs, rssMiB: MiB(status(pid, "VmRSS")),
        anonMiB: MiB(status(pid, "RssAnon")), fileMiB: MiB(status(pid, "RssFile")),
        ...(breakdown ? { heapUsedMiB: MiB((mu.heapUsed ?? 0) / 1024), heapTotalMiB: MiB((mu.heapTotal ?? 0) / 1024), externalMiB: MiB((mu.external ?? 0) / 1024), ...Object.fromEntries(spaces.map((k) => [k, MiB((mu[k] ?? 0) / 1024)])) } : {}),
      });
    }
    const sum = rows.filter((r) => r.run === run).reduce((a, r) => a + Number(r.rssMiB), 0);
    rows.push({ run, process: "total", runner, readyMs: total, rssMiB: sum });
  } finally {
    await topo.stop();
  }
}
console.table(rows);
console.log(JSON.stringify(rows));
process.exit(0);
