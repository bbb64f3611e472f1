// The production topology as plain processes on this machine: gateways, routers and AMP workers,
// each its own `node` process with its own ports and log file, against real NATS, Redis and
// Postgres. Shared by `npm run cluster` (scripts/cluster.ts) and the end-to-end tests
// (test/support/topology.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort, waitFor } from "@xmppd/testkit";
import { BUILD_ENTRIES, RUNTIME_FLAGS, distFile, ensureBuilt } from "../build.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
/** Each kind's TypeScript entry point (run through tsx). */
export const ENTRY = {
  gateway: BUILD_ENTRIES.gateway,
  router: BUILD_ENTRIES.router,
  amp: BUILD_ENTRIES["amp-worker"],
} as const;
export type Kind = keyof typeof ENTRY;
/** Each kind's compiled entry point (npm run build). */
export const DIST_ENTRY: Record<Kind, string> = { gateway: distFile("gateway"), router: distFile("router"), amp: distFile("amp-worker") };

/**
 * How the processes run: "dist", the compiled bundles (built first unless dist/ is current), as in
 * production; or "tsx", the TypeScript sources compiled at start. XMPPD_RUNNER=tsx chooses tsx.
 */
export type Runner = "dist" | "tsx";
export const defaultRunner = (): Runner => (process.env.XMPPD_RUNNER === "tsx" ? "tsx" : "dist");

/**
 * The node arguments that run a kind's entry point: a bundle with the image's flags, and with
 * source maps unless sourceMaps is false (the image does not load them; logs here are read by people).
 */
export function entryArgs(kind: Kind, runner: Runner, sourceMaps = true): string[] {
  return runner === "tsx" ? ["--import", "tsx", ENTRY[kind]] : [...RUNTIME_FLAGS, ...(sourceMaps ? ["--enable-source-maps"] : []), DIST_ENTRY[kind]];
}

export interface Proc {
  kind: Kind;
  name: string;
  child: ChildProcess;
  /** The ops listener (127.0.0.1): /metrics, /healthz, /readyz; every kind has one. */
  opsPort: number;
  /** A gateway's public HTTP port: WebSocket and BOSH (no /metrics); 0 for other kinds. */
  httpPort: number;
  c2sPort: number;
  /** Direct TLS (XEP-0368) port of a gateway; 0 for other kinds. WebSocket is on httpPort. */
  tlsPort: number;
  /** HTTPS port of a gateway (wss:// and BOSH over TLS); 0 for other kinds. */
  httpsPort: number;
  logFile: string;
  exited: Promise<number | null>;
  /** Milliseconds from spawn to its first 200 from /readyz. */
  readyMs: number;
}

export interface ClusterEnvOptions {
  natsUrl: string;
  redisUrl: string;
  databaseUrl: string;
  cluster: string;
  /** dataDir of every process (generated certificates) and where the logs go. */
  dir: string;
  domain: string;
  tlsRequired: boolean;
}

/** The environment every process of one cluster shares (packages/config/src/env.ts). */
export function clusterEnv(o: ClusterEnvOptions): Record<string, string> {
  return {
    NATS_URL: o.natsUrl,
    REDIS_URL: o.redisUrl,
    DATABASE_URL: o.databaseUrl,
    LOG_LEVEL: "info",
    XMPPD__cluster: o.cluster,
    XMPPD__dataDir: o.dir,
    XMPPD__domains: JSON.stringify([o.domain]),
    XMPPD__gateway__tls__required: String(o.tlsRequired),
  };
}

export interface ProcessSetOptions {
  cluster: string;
  dir: string;
  env: Record<string, string>;
  /** Added to `env` for every process of one kind (its own credentials, for instance). */
  kindEnv?: Partial<Record<Kind, Record<string, string>>>;
  /**
   * The process's bus identity as environment (NATS_URL, nats.caFile, nats.seedFile); for a
   * gateway, of its name (gw1, gw2, ... in start order). Called before each start.
   */
  busEnv?: (kind: Kind, gatewayName: string | undefined) => Promise<Record<string, string>>;
  /** Start every process with the V8 inspector on a random loopback port. */
  inspect?: boolean;
  /** Extra node flags for every process, e.g. ["--cpu-prof"]. */
  nodeArgs?: string[];
  /** Compiled bundles (default) or TypeScript through tsx; see Runner. */
  runner?: Runner;
  /** Bundles load their source maps (default true; the image does not: measurements turn it off). */
  sourceMaps?: boolean;
}

export interface ProcessSet {
  procs: Proc[];
  /** Live processes of a kind, in start order. */
  of(kind: Kind): Proc[];
  /** Starts one more process of a kind on free ports and waits for its /readyz. */
  start(kind: Kind): Promise<Proc>;
  kill(proc: Proc, signal?: NodeJS.Signals): Promise<void>;
  /** The last `lines` lines (60) of the process's log. */
  logs(proc: Proc, lines?: number): string;
  /** SIGTERM to every live process, SIGKILL to any still there after graceMs; resolves when all have exited. */
  stopAll(graceMs?: number): Promise<void>;
}

export function createProcessSet(o: ProcessSetOptions): ProcessSet {
  const procs: Proc[] = [];
  let counter = 0;
  let gateways = 0;
  const isLive = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;
  const runner = o.runner ?? defaultRunner();

  async function start(kind: Kind): Promise<Proc> {
    if (runner === "dist") await ensureBuilt();
    const name = `${kind}-${++counter}`;
    const opsPort = await freePort();
    const httpPort = kind === "gateway" ? await freePort() : 0;
    const c2sPort = kind === "gateway" ? await freePort() : 0;
    const tlsPort = kind === "gateway" ? await freePort() : 0;
    const httpsPort = kind === "gateway" ? await freePort() : 0;
    const gatewayName = kind === "gateway" ? `gw${++gateways}` : undefined;
    const env: Record<string, string> = { ...o.env, ...o.kindEnv?.[kind], ...(await o.busEnv?.(kind, gatewayName)) };
    if (gatewayName !== undefined) {
      env.XMPPD__gateway__name = gatewayName;
      env.XMPPD__gateway__httpPort = String(httpPort);
      env.XMPPD__gateway__c2sPort = String(c2sPort);
      env.XMPPD__gateway__tlsPort = String(tlsPort);
      env.XMPPD__gateway__httpsPort = String(httpsPort);
    } else if (kind === "router") {
      env.XMPPD__router__id = `rt${counter}-${o.cluster}`.slice(0, 60);
    }
    // Loopback, as the default, even if the inherited environment says otherwise: the tests read them here.
    env[`XMPPD__${kind}__ops__host`] = "127.0.0.1";
    env[`XMPPD__${kind}__ops__port`] = String(opsPort);
    const logFile = join(o.dir, `${name}.log`);
    const out = createWriteStream(logFile);
    const args = [...(o.inspect ? ["--inspect=127.0.0.1:0"] : []), ...(o.nodeArgs ?? []), ...entryArgs(kind, runner, o.sourceMaps)];
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    const proc: Proc = { kind, name, child, opsPort, httpPort, c2sPort, tlsPort, httpsPort, logFile, exited, readyMs: NaN };
    procs.push(proc);
    await waitFor(async () => isLive(proc) && (await isReady(opsPort)), { timeoutMs: 30_000, intervalMs: 100 }).catch((err: unknown) => {
      throw new Error(`${name} did not become ready:\n${readLog(logFile)}`, { cause: err });
    });
    proc.readyMs = Math.round(performance.now() - spawnedAt);
    return proc;
  }

  return {
    procs,
    of: (kind) => procs.filter((p) => p.kind === kind && isLive(p)),
    start,
    async kill(proc, signal = "SIGKILL") {
      proc.child.kill(signal);
      await proc.exited;
    },
    logs: (proc, lines) => readLog(proc.logFile, lines),
    async stopAll(graceMs = 5000) {
      await Promise.all(procs.filter(isLive).map(async (p) => {
        p.child.kill("SIGTERM");
        const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
        await p.exited;
        clearTimeout(timer);
      }));
    },
  };
}

async function isReady(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return res.status === 200;
  } catch {
    return false;
  }
}

function readLog(file: string, lines = 60): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
