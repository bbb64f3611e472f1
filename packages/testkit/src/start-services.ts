// Starts the loopback services the integration tests need, with the same commands as the
// machine's own setup (node-svc "Known to work"), when one is not running.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Debian puts daemons in /usr/sbin, which is not on a non-root PATH, and Postgres' server programs
 * (initdb, pg_ctl, postgres) in /usr/lib/postgresql/<version>/bin, on no PATH at all.
 */
export function binary(name: string): string {
  const postgres = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin/${name}`)
    : [];
  const candidates = [`/usr/sbin/${name}`, `/usr/bin/${name}`, `/usr/local/bin/${name}`, ...postgres];
  return candidates.find((path) => existsSync(path)) ?? name;
}

/** nats-server with JetStream and a fresh store; it outlives this process. */
export function startNats(port: number): { pid: number; storeDir: string } {
  const storeDir = mkdtempSync(join(tmpdir(), "xmppd-nats-"));
  const child = spawn(binary("nats-server"), ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  if (child.pid === undefined) throw new Error("could not start nats-server");
  return { pid: child.pid, storeDir };
}

/** redis-server as a daemon that keeps nothing on disk. */
export async function startRedis(port: number): Promise<void> {
  await run(binary("redis-server"), [
    "--daemonize", "yes", "--bind", "127.0.0.1", "--port", String(port),
    "--save", "", "--appendonly", "no", "--dir", tmpdir(),
  ]);
}

/** The installed cluster `main` of the newest Postgres version, through pg_ctlcluster. */
export async function startPostgres(): Promise<void> {
  const versions = readdirSync("/etc/postgresql").sort((a, b) => Number(b) - Number(a));
  const version = versions[0];
  if (version === undefined) throw new Error("no Postgres cluster under /etc/postgresql");
  await run(binary("pg_ctlcluster"), ["--skip-systemctl-redirect", version, "main", "start"]);
}
