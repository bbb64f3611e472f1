// Memory: resident set of each service process before any session (read when the server has
// just started), and RSS per idle session summed over every process of the server: the growth
// between a warm population (a fifth of `sessions`, which absorbs first-use allocations and
// allocator growth) and all `sessions` idle plain-TCP sessions (bound, initial presence). The
// sessions log in with SCRAM (the client's salted password cached), not PLAIN, so that the
// garbage of the server's PBKDF2 per PLAIN login (ejabberd, ours) is not charged to sessions.
// Private RSS only (less shared memory: Postgres's shared buffers). For ours the shared Redis's
// RSS is not ours alone, so what it holds for the cluster's keys (MEMORY USAGE) counts instead,
// and V8 heap in use after a full GC is given beside it (RSS of a Node process moves with heap
// headroom and start-up garbage).
import { privateRssKiB, rssKiB } from "../procs.ts";
import { bestScram } from "./logins.ts";
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
  /** Ours: V8 heap after GC over all processes plus Redis keys, KiB per session. */
  heapAndRedisKiBPerSession?: number;
}

async function footprint(t: Target): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of await t.processes()) {
    if (p.label === "redis-server") continue;
    out[p.label] = (out[p.label] ?? 0) + privateRssKiB([p.pid]);
  }
  if (t.redisBytes) out["redis (cluster keys)"] = (await t.redisBytes()) / 1024;
  return out;
}

export async function sessionMemory(t: Target, sessions: number): Promise<SessionMemory> {
  await t.addUsers(sessions);
  const mechanism = await bestScram(t);
  const warm = Math.floor(sessions / 5);
  const first = await inBatches(warm, 50, (i) => connect(t, i, mechanism));
  await sleep(3000);
  const before = await footprint(t);
  const heapBefore = await t.heapBytes?.();
  const rest = await inBatches(sessions - warm, 50, (i) => connect(t, warm + i, mechanism));
  await sleep(3000);
  const after = await footprint(t);
  const heapAfter = await t.heapBytes?.();
  [...first, ...rest].forEach((c) => c.close());
  await sleep(2000);
  const n = sessions - warm;
  const byProcessKiB: Record<string, number> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) byProcessKiB[k] = Math.round((((after[k] ?? 0) - (before[k] ?? 0)) / n) * 100) / 100;
  const kibPerSession = Math.round(Object.values(byProcessKiB).reduce((a, b) => a + b, 0) * 100) / 100;
  const heap = heapBefore !== undefined && heapAfter !== undefined ? (heapAfter - heapBefore) / 1024 / n + (byProcessKiB["redis (cluster keys)"] ?? 0) : undefined;
  return { sessions, kibPerSession, byProcessKiB, ...(heap === undefined ? {} : { heapAndRedisKiBPerSession: Math.round(heap * 100) / 100 }) };
}
