// CPU time and resident memory of process trees, read from /proc, so that a server's cost is
// summed over every process it runs (a beam.smp and its port programs, a Node process per tier,
// NATS, Postgres backends) whatever language it is written in.
import { readdirSync, readFileSync } from "node:fs";

// USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK) is not reachable from Node).
const TICKS_PER_SECOND = 100;

interface Stat {
  pid: number;
  ppid: number;
  /** user + system time, clock ticks */
  ticks: number;
}

function statOf(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: read after the last ")".
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // After the name: state(0) ppid(1) ... utime(11) stime(12).
    return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null; // gone
  }
}

function allStats(): Stat[] {
  const out: Stat[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const s = statOf(Number(d));
    if (s) out.push(s);
  }
  return out;
}

/** `pid` and every live process below it. */
export function processTree(pid: number): number[] {
  const all = allStats();
  const found = [pid];
  for (let i = 0; i < found.length; i++) for (const p of all) if (p.ppid === found[i]) found.push(p.pid);
  return found.filter((p) => all.some((s) => s.pid === p));
}

/** CPU seconds (user + system) used so far by each process; 0 for one that has gone. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += statOf(pid)?.ticks ?? 0;
  return ticks / TICKS_PER_SECOND;
}

/** Resident set size in KiB, summed over `pids`. */
export function rssKiB(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
      sum += m ? Number(m[1]) : 0;
    } catch {
      // gone
    }
  }
  return sum;
}

/**
 * Resident memory that is the process's own, in KiB: VmRSS less RssShmem. Postgres backends map
 * the shared buffers, and every page of it a backend touches counts in its VmRSS although it is
 * one cache for all; counting it per backend would charge that cache to sessions.
 */
export function privateRssKiB(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const rss = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
      const shmem = Number(status.match(/RssShmem:\s+(\d+)/)?.[1] ?? 0);
      sum += rss - shmem;
    } catch {
      // gone
    }
  }
  return sum;
}

/** Pid of every process whose command name is `comm` (the shared Redis, for example). */
export function pidsByName(comm: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, "utf8").trim() === comm) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}
