// CPU seconds of every process of a server between two points, by label, so that a scenario can
// say what a message cost each tier and the whole server.
import { cpuSeconds } from "../procs.ts";
import type { Target } from "../target.ts";

export type CpuByLabel = Record<string, number>;

export async function cpuSnapshot(t: Target): Promise<Map<number, { label: string; seconds: number }>> {
  const out = new Map<number, { label: string; seconds: number }>();
  for (const p of await t.processes()) out.set(p.pid, { label: p.label, seconds: cpuSeconds([p.pid]) });
  return out;
}

/**
 * CPU seconds used between two snapshots, by label. A process in `after` only (a new Postgres
 * backend) counts from 0; one that ended between the two loses what it used since `before`.
 */
export function cpuUsed(before: Map<number, { label: string; seconds: number }>, after: Map<number, { label: string; seconds: number }>): CpuByLabel {
  const out: CpuByLabel = {};
  for (const [pid, a] of after) out[a.label] = (out[a.label] ?? 0) + a.seconds - (before.get(pid)?.seconds ?? 0);
  return out;
}

export const total = (c: CpuByLabel) => Object.values(c).reduce((a, b) => a + b, 0);

/**
 * Waits until the server is idle again (under 0.1 core over a second, or 60 s): a run that
 * overloaded it leaves a backlog (an AMP queue, messages being stored for receivers who have
 * left) that would otherwise be charged to the next scenario.
 */
export async function quiesce(t: Target, maxSeconds = 60): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < maxSeconds * 1000) {
    const a = await cpuSnapshot(t);
    await new Promise((r) => setTimeout(r, 1000));
    const used = cpuUsed(a, await cpuSnapshot(t));
    // The shared Redis serves other work on the machine too: not a sign of our backlog.
    delete used["redis-server"];
    if (total(used) < 0.1) break;
  }
  return Math.round((performance.now() - start) / 100) / 10;
}
