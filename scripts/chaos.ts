// `npm run chaos`: the real topology (2 gateways, 2 routers, 2 AMP workers) on private NATS,
// Redis and Postgres on loopback, under steady XEP-0198 load, with one fault at a time; counts
// per fault what was accepted, delivered, stored, bounced, lost, duplicated and reordered.
// Exits 1 on any loss or on a healthy stream closed by a burst or a slow consumer.
// --soak <minutes> instead runs steady load without faults and reports memory and queue trends.
// What it does and the numbers: docs/reliability.md.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_FAULTS, FAULTS } from "./chaos/faults.ts";
import { consoleTable, markdownTable } from "./chaos/report.ts";
import { runChaos } from "./chaos/run.ts";
import { runSoak } from "./chaos/soak.ts";

interface Options {
  faults: string[];
  clients: number;
  rate: number;
  ampShare: number;
  duration: number;
  drain: number;
  soak?: number;
  out?: string;
}

const number = (min: number, max: number) => (text: string): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
  return n;
};
const faultList = (text: string): string[] => {
  const names = text.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !FAULTS[n]);
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown ${unknown.join(", ")}; known: ${DEFAULT_FAULTS.join(", ")}`);
  return names;
};

const opts = new Command("chaos")
  .description("Inject faults into a local cluster under XEP-0198 load and count every message")
  .option("--faults <list>", `comma-separated, in order (default all: ${DEFAULT_FAULTS.join(",")})`, faultList, DEFAULT_FAULTS)
  .option("--clients <n>", "clients with stream management and resumption", number(3, 2000), 200)
  .option("--rate <n>", "messages per second in total", number(1, 10_000), 300)
  .option("--amp-share <f>", "fraction of messages with XEP-0079 rules", number(0, 1), 0.2)
  .option("--duration <s>", "seconds of load per fault", number(3, 3600), 20)
  .option("--drain <s>", "longest wait for accepted messages after the load stops", number(1, 600), 30)
  .option("--soak <minutes>", "steady load without faults, sampling memory, lag and queues")
  .option("--out <base>", "write <base>.json and <base>.md")
  .parse()
  .opts<Options>();

const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
const commit = (() => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
})();

if (opts.soak !== undefined) {
  const report = await runSoak({ minutes: Number(opts.soak), clients: opts.clients, rate: opts.rate, ampShare: opts.ampShare, sampleSeconds: 5, log });
  for (const t of report.trends) console.log(`${t.metric.padEnd(40)} ${fmt(t.first)} -> ${fmt(t.last)} ${t.flat ? "flat" : "GROWING"}`);
  console.log(`accepted ${report.counts.accepted}, delivered ${report.counts.delivered}, lost ${report.counts.lost}`);
  if (opts.out) writeFileSync(`${opts.out}.json`, JSON.stringify({ commit, ...report }, null, 2));
  process.exit(report.ok ? 0 : 1);
}

const report = await runChaos({
  faults: opts.faults, clients: opts.clients, rate: opts.rate, ampShare: opts.ampShare,
  durationMs: opts.duration * 1000, drainMs: opts.drain * 1000, log,
});
console.log(`\n${consoleTable(report)}\n`);
if (opts.out) {
  writeFileSync(`${opts.out}.json`, JSON.stringify({ commit, ...report }, null, 2));
  writeFileSync(`${opts.out}.md`, markdownTable(report, commit));
  console.log(`wrote ${opts.out}.json and ${opts.out}.md`);
}
console.log(report.ok ? "no loss" : "FAILED: messages lost or healthy streams closed");
process.exit(report.ok ? 0 : 1);

function fmt(v: number): string {
  return v > 1e6 ? `${(v / 2 ** 20).toFixed(0)} MiB` : v.toFixed(3);
}
