// Memory: resident set of each service process before any session (read when the server has
// just started), and RSS per idle session summed over every process of the server between the
// accounts being made (warm) and `sessions` idle plain-TCP sessions (PLAIN, bound, presence).
// For ours the shared Redis's RSS is not ours alone: what it holds for the cluster's keys
// (MEMORY USAGE) is counted instead.
import { rssKiB } from "../procs.ts";
import { connect, inBatches, sleep, type Target } from "../target.ts";

export interface IdleRss {
  /** KiB per service process. */
  perProcess: { label: string; kib: number }[];
  maxKiB: number;
}

export function idleRss(t: Target): IdleRss {
  const perProcess = t.serviceProcesses().map((p) => ({ label: p.label, kib: rssKiB([p.pid]) }));
  return { perProcess, maxKiB: Math.max(...perProcess.map((p) => p.kib)) };
}

export interface SessionMemory {
  sessions: number;
  kibPerSession: number;
  byProcessKiB: Record<string, number>;
}

async function footprint(t: Target): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of await t.processes()) {
    if (p.label === "redis-server") continue;
    out[p.label] = (out[p.label] ?? 0) + rssKiB([p.pid]);
  }
  if (t.redisBytes) out["redis (cluster keys)"] = (await t.redisBytes()) / 1024;
  return out;
}

export async function sessionMemory(t: Target, sessions: number): Promise<SessionMemory> {
  await t.addUsers(sessions);
  await sleep(2000);
  const before = await footprint(t);
  const conns = await inBatches(sessions, 50, (i) => connect(t, i));
  await sleep(3000);
  const after = await footprint(t);
  conns.forEach((c) => c.close());
  await sleep(2000);
  const byProcessKiB: Record<string, number> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) byProcessKiB[k] = Math.round((((after[k] ?? 0) - (before[k] ?? 0)) / sessions) * 100) / 100;
  const kibPerSession = Math.round(Object.values(byProcessKiB).reduce((a, b) => a + b, 0) * 100) / 100;
  return { sessions, kibPerSession, byProcessKiB };
}
