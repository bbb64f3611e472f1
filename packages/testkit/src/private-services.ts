// Private Redis and Postgres servers for tests that crash them on purpose (dependency restarts,
// chaos): each on a loopback port of its own, so killing one disturbs no other test, and
// started again on the same port so clients configured with its URL find it there.
import { chownSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { isReachable, freePort } from "./ports.ts";
import { binary } from "./start-services.ts";
import { startManagedProcess, type ManagedProcess } from "./managed-process.ts";

const run = promisify(execFile);

export interface PrivateService {
  /** redis://127.0.0.1:<port> or postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  /** The server's pid, undefined while it is down. */
  readonly pid: number | undefined;
  isRunning(): boolean;
  /** SIGKILL, as a crash would; resolves once the server and its helpers are gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (no-op while running) and waits until it accepts connections. */
  start(): Promise<void>;
  /** kill() then start(). */
  restart(): Promise<void>;
  /** Stops it for good and removes its files; safe to call twice. */
  stop(): Promise<void>;
  /** The server's log so far (its tail). */
  log(): string;
}

/**
 * An empty redis-server that keeps no data on disk: after kill() and start() it is empty again, as
 * a Redis without persistence is after a restart. Its ACL users live in an aclfile, as a deployed
 * server's configuration does: users set and then saved (`ACL SAVE`) are there again after a restart.
 */
export async function startPrivateRedis(): Promise<PrivateService> {
  const dir = await mkdtemp(join(tmpdir(), "xmppd-redis-"));
  const port = await freePort();
  const logFile = join(dir, "redis.log");
  const aclFile = join(dir, "users.acl");
  await writeFile(aclFile, "");
  const proc = await startManagedProcess({
    command: binary("redis-server"),
    args: ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--aclfile", aclFile],
    logFile,
    ready: () => isReachable(port),
    describe: () => tail(logFile),
    stopSignal: "SIGTERM",
  });
  return service(`redis://127.0.0.1:${port}`, port, proc, dir, logFile);
}

/**
 * A Postgres cluster of its own: initdb into a temporary directory, trust authentication for the
 * `postgres` user, listening on 127.0.0.1:<port> with its socket in that directory. Its data
 * survives kill() and start() (crash recovery replays the WAL), as a real restart's would.
 */
export async function startPrivatePostgres(): Promise<PrivateService> {
  const dir = await mkdtemp(join(tmpdir(), "xmppd-pg-"));
  const data = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  const port = await freePort();
  // Postgres refuses to run as root; the machine's own cluster runs as `postgres`, so do we.
  const owner = process.getuid?.() === 0 ? await userIds("postgres") : undefined;
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const as = owner === undefined ? {} : { uid: owner.uid, gid: owner.gid };
  await run(binary("initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], { ...as, cwd: dir, env: { ...process.env, LC_ALL: "C" } });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const proc = await startManagedProcess({
    command: binary("postgres"),
    args: [
      "-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1",
      // A test server: durability against power loss buys nothing here, speed does;
      // synchronous_commit stays on: a committed row must survive a kill (written to the OS, not the disk).
      "-c", "fsync=off", "-c", "full_page_writes=off",
      "-c", "max_connections=200", "-c", "logging_collector=off",
    ],
    spawn: { ...as, cwd: dir, env: { ...process.env, LC_ALL: "C" } },
    logFile,
    ready: () => accepts(url),
    describe: () => tail(logFile),
    // SIGINT is Postgres' "fast" shutdown: ends sessions, checkpoints, exits.
    stopSignal: "SIGINT",
    startTimeoutMs: 30_000,
  });
  return service(url, port, proc, dir, logFile);
}

function service(url: string, port: number, proc: ManagedProcess, dir: string, logFile: string): PrivateService {
  let stopped = false;
  return {
    url,
    port,
    get pid() {
      return proc.pid;
    },
    isRunning: () => proc.isRunning(),
    kill: () => proc.kill(),
    async start() {
      if (stopped) throw new Error(`${url} was stopped for good`);
      await proc.start();
    },
    async restart() {
      await proc.kill();
      await proc.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
    log: () => tail(logFile),
  };
}

/** Whether Postgres accepts sessions (an open port is not enough: it refuses them during crash recovery). */
async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run("id", ["-u", name]), run("id", ["-g", name])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-40).join("\n");
  } catch {
    return "(no log)";
  }
}
