// Runs the production topology as plain processes on this machine: gateways, routers and AMP
// workers, each its own `node` process, against real NATS, Redis and Postgres. Every run gets
// its own cluster name (subjects, Redis keys, JetStream stream) and its own database.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, createWriteStream, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureServices, freePort, tempDatabase, uniqueId, waitFor } from "@xmppd/testkit";
import { createPgClient, createUserStore, migrate } from "@xmppd/storage";
import { hashPassword } from "@xmppd/sasl";

const ROOT = resolve(import.meta.dirname, "../..");
const ENTRY = {
  gateway: "services/connection-gateway/src/main.ts",
  router: "services/session-router/src/main.ts",
  amp: "services/amp-worker/src/main.ts",
} as const;
type Kind = keyof typeof ENTRY;

export interface Proc {
  kind: Kind;
  name: string;
  child: ChildProcess;
  httpPort: number;
  c2sPort: number;
  logFile: string;
  exited: Promise<number | null>;
}

export interface TopologyOptions {
  gateways?: number;
  routers?: number;
  ampWorkers?: number;
  tlsRequired?: boolean;
  env?: Record<string, string>;
  /** Start every process with the V8 inspector on a random loopback port (benchmarks read heap use through it). */
  inspect?: boolean;
  /** Extra node flags for every process, e.g. ["--cpu-prof"]. */
  nodeArgs?: string[];
}

export interface Topology {
  cluster: string;
  domain: string;
  procs: Proc[];
  of(kind: Kind): Proc[];
  addUser(username: string, password: string): Promise<void>;
  /** Many accounts sharing one password, hashed once (for load tests). */
  addUsers(usernames: string[], password: string): Promise<void>;
  start(kind: Kind): Promise<Proc>;
  kill(proc: Proc, signal?: NodeJS.Signals): Promise<void>;
  logs(proc: Proc): string;
  stop(): Promise<void>;
}

export async function startTopology(opts: TopologyOptions = {}): Promise<Topology> {
  const svc = await ensureServices();
  const cluster = uniqueId("t");
  const db = await tempDatabase();
  const dir = mkdtempSync(join(tmpdir(), `xmppd-${cluster}-`));
  const domain = "localhost";
  const baseEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NATS_URL: svc.natsUrl,
    REDIS_URL: svc.redisUrl,
    DATABASE_URL: db.url,
    LOG_LEVEL: "info",
    XMPPD__cluster: cluster,
    XMPPD__dataDir: dir,
    XMPPD__domains: JSON.stringify([domain]),
    XMPPD__heartbeat__intervalMs: "250",
    XMPPD__heartbeat__deadAfterMs: "1500",
    XMPPD__gateway__tls__required: String(opts.tlsRequired ?? false),
    ...opts.env,
  };
  const sql = await createPgClient({ url: db.url });
  await migrate(sql, "core");
  const users = createUserStore(sql);
  const procs: Proc[] = [];
  let counter = 0;

  async function start(kind: Kind): Promise<Proc> {
    const name = `${kind}-${++counter}`;
    const httpPort = await freePort();
    const c2sPort = kind === "gateway" ? await freePort() : 0;
    const env: Record<string, string> = { ...baseEnv };
    if (kind === "gateway") {
      env.XMPPD__gateway__id = `gw${counter}-${cluster}`.slice(0, 60);
      env.XMPPD__gateway__httpPort = String(httpPort);
      env.XMPPD__gateway__c2sPort = String(c2sPort);
    } else if (kind === "router") {
      env.XMPPD__router__id = `rt${counter}-${cluster}`.slice(0, 60);
      env.XMPPD__router__httpPort = String(httpPort);
    } else {
      env.XMPPD__amp__httpPort = String(httpPort);
    }
    const logFile = join(dir, `${name}.log`);
    const out = createWriteStream(logFile);
    const args = [...(opts.inspect ? ["--inspect=127.0.0.1:0"] : []), ...(opts.nodeArgs ?? []), "--import", "tsx", ENTRY[kind]];
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    const proc: Proc = { kind, name, child, httpPort, c2sPort, logFile, exited };
    procs.push(proc);
    await waitFor(async () => child.exitCode === null && (await isReady(httpPort)), { timeoutMs: 30_000, intervalMs: 100 }).catch((err: unknown) => {
      throw new Error(`${name} did not become ready:\n${readLog(logFile)}`, { cause: err });
    });
    return proc;
  }

  for (let i = 0; i < (opts.routers ?? 1); i++) await start("router");
  for (let i = 0; i < (opts.ampWorkers ?? 1); i++) await start("amp");
  for (let i = 0; i < (opts.gateways ?? 1); i++) await start("gateway");

  return {
    cluster,
    domain,
    procs,
    of: (kind) => procs.filter((p) => p.kind === kind && p.child.exitCode === null && p.child.signalCode === null),
    start,
    async addUser(username, password) {
      await users.create({ domain, username, scram: hashPassword(password, { iterations: 4096 }) });
    },
    async addUsers(usernames, password) {
      const scram = hashPassword(password, { iterations: 4096 });
      for (let i = 0; i < usernames.length; i += 50) {
        await Promise.all(usernames.slice(i, i + 50).map((username) => users.create({ domain, username, scram })));
      }
    },
    async kill(proc, signal = "SIGKILL") {
      proc.child.kill(signal);
      await proc.exited;
    },
    logs: (proc) => readLog(proc.logFile),
    async stop() {
      await Promise.all(procs.map(async (p) => {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          p.child.kill("SIGTERM");
          const timer = setTimeout(() => p.child.kill("SIGKILL"), 5000);
          await p.exited;
          clearTimeout(timer);
        }
      }));
      await sql.close();
      await db.drop();
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

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-60).join("\n");
  } catch {
    return "(no log)";
  }
}
