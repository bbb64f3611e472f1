// What the scenarios need to know about a server under test, whichever it is: where it listens,
// which processes are its (for CPU and memory), and how to give it accounts bench0..benchN-1
// with password "bench".
import { BenchConn, type Mechanism } from "./xmpp-conn.ts";

export interface ProcRef {
  /** What the process is: "gateway", "beam.smp", "postgres backend", ... */
  label: string;
  pid: number;
}

export interface Target {
  name: string;
  host: string;
  /** c2s ports, used round robin (ours has one per gateway). */
  ports: number[];
  domain: string;
  /**
   * Every process whose CPU and memory count as this server's, looked up now: Postgres backends
   * come and go, and a process tree may have grown helpers.
   */
  processes(): Promise<ProcRef[]>;
  /** The server's own long-lived processes (what "idle RSS per service process" is read on). */
  serviceProcesses(): ProcRef[];
  /** Creates bench0..bench{n-1} (those not made yet). */
  addUsers(n: number): Promise<void>;
  stop(): Promise<void>;
  /** Ours only: a counter summed over every process's /metrics. */
  counter?(name: string): Promise<number>;
  /** Ours only: bytes Redis holds for this cluster's keys (the shared Redis's RSS is not ours alone). */
  redisBytes?(): Promise<number>;
  /** Ours only: V8 heap in use after a full GC, summed over every process. */
  heapBytes?(): Promise<number>;
}

let resourceSeq = 0;

/** Logs in as bench{user}, spreading source addresses over 127.0.0.2-201 (per-IP limits, port ranges). */
export function connect(t: Target, user: number, mechanism: Mechanism = "PLAIN", slot = user): Promise<BenchConn> {
  return BenchConn.open({
    host: t.host, port: t.ports[slot % t.ports.length]!, domain: t.domain,
    username: `bench${user}`, password: "bench", resource: `r${resourceSeq++}`,
    localAddress: `127.0.0.${2 + (slot % 200)}`, mechanism,
  });
}

/** Runs fn(0..n-1) with at most `width` calls in flight. */
export async function inBatches<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Accounts made by in-band registration (ejabberd, Prosody), 50 at a time. */
export async function registerUsers(t: Pick<Target, "host" | "ports" | "domain">, from: number, to: number): Promise<void> {
  await inBatches(to - from, 50, (i) =>
    BenchConn.register({ host: t.host, port: t.ports[0]!, domain: t.domain, username: `bench${from + i}`, password: "bench", localAddress: `127.0.0.${2 + (i % 200)}` }),
  );
}
