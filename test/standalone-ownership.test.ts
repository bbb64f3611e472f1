// `npm start` as a person runs it, with what operators do to it: a second `npm start` on the
// same data directory fails at once naming the first; `npm run admin -- register` goes through
// the running server, and the account outlives the server's restart; SIGHUP reloads (the
// certificate, the configuration's log level) without stopping it; SIGTERM to npm stops the
// server (npm passes it on); after a crash (SIGKILL) the stale lock blocks neither the admin CLI
// nor the next start. Each account logs in with a real client.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { freePort, waitFor } from "@xmppd/testkit";
import { connect } from "./support/clients.ts";
import { isRunning } from "./support/process-tree.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const dataDir = mkdtempSync(join(tmpdir(), "xmppd-owner-"));
const started: { npm: ChildProcess; serverPid: number }[] = [];

afterAll(() => {
  for (const s of started) if (isRunning(s.serverPid)) process.kill(s.serverPid, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

async function baseEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), XMPPD__dataDir: dataDir, XMPPD__log__level: "info" };
  for (const k of ["NATS_URL", "REDIS_URL", "DATABASE_URL", "AMP_DATABASE_URL", "XMPPD_CONFIG"]) delete env[k];
  for (const k of ["c2sPort", "tlsPort", "httpsPort", "httpPort"]) env[`XMPPD__gateway__${k}`] = String(await freePort());
  for (const s of ["gateway", "router", "amp"]) env[`XMPPD__${s}__ops__port`] = "0";
  return env;
}

interface Started {
  npm: ChildProcess;
  serverPid: number;
  c2sPort: number;
  output(): string;
  exited: Promise<number | null>;
}

/** `npm start`, until its admin endpoint is published (it then serves clients). */
async function npmStart(): Promise<Started> {
  const env = await baseEnv();
  const npm = spawn("npm", ["start"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  npm.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  npm.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => npm.once("exit", (code) => res(code)));
  await waitFor(() => /kill -HUP (\d+)/.test(out) || npm.exitCode !== null, { timeoutMs: 90_000, intervalMs: 100, what: "the banner" });
  const serverPid = Number(/kill -HUP (\d+)/.exec(out)?.[1]);
  if (!serverPid) throw new Error(`npm start did not start:\n${out}`);
  started.push({ npm, serverPid });
  await waitFor(() => existsSync(join(dataDir, "admin.json")), { timeoutMs: 30_000, what: "admin.json" });
  return { npm, serverPid, c2sPort: Number(env.XMPPD__gateway__c2sPort), output: () => out, exited };
}

async function register(user: string): Promise<string> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), XMPPD__dataDir: dataDir };
  for (const k of ["NATS_URL", "REDIS_URL", "DATABASE_URL", "AMP_DATABASE_URL", "XMPPD_CONFIG"]) delete env[k];
  const { stdout } = await run("npm", ["run", "--silent", "admin", "--", "register", user, "localhost", `${user}-pw`], { cwd: ROOT, env, timeout: 60_000 });
  return stdout.trim();
}

async function logsIn(port: number, user: string): Promise<string> {
  const c = await connect({ port, username: user, password: `${user}-pw`, resource: "r" });
  const jid = String(c.jid);
  await c.stop();
  return jid;
}

const jsonLines = (text: string) => text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);

it("one owner per data directory, admin through it, SIGHUP reloads, SIGTERM to npm stops, accounts survive restarts and crashes", { timeout: 300_000 }, async () => {
  const first = await npmStart();

  // A second server on the same directory: refused at once, naming the owner and the directory.
  const env = await baseEnv();
  const second = await run("npm", ["start"], { cwd: ROOT, env, timeout: 60_000 }).then(
    () => ({ code: 0, stderr: "" }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
  expect(second.code).toBe(1);
  expect(second.stderr).toContain(`standalone: data directory ${dataDir} is in use by standalone (pid ${first.serverPid})`);
  expect(isRunning(first.serverPid)).toBe(true);

  expect(await register("alice")).toBe("registered alice@localhost");
  expect(await logsIn(first.c2sPort, "alice")).toBe("alice@localhost/r");

  // SIGHUP: reloaded, still serving.
  process.kill(first.serverPid, "SIGHUP");
  await waitFor(() => jsonLines(first.output()).some((l) => l.msg === "reloaded"), { timeoutMs: 15_000, what: "the reload line" });
  expect(jsonLines(first.output()).find((l) => l.msg === "reloaded")).toMatchObject({ signal: "SIGHUP", reloaded: ["tls"], failed: [], logLevel: "info", pid: first.serverPid });
  expect(await logsIn(first.c2sPort, "alice")).toBe("alice@localhost/r");

  // SIGTERM to npm reaches the server, which stops cleanly and gives the directory back.
  first.npm.kill("SIGTERM");
  expect(await first.exited).toBe(0);
  await waitFor(() => !isRunning(first.serverPid), { timeoutMs: 15_000, what: "the server gone" });
  expect(existsSync(join(dataDir, "xmppd.lock"))).toBe(false);

  // Restarted: alice is still there. Then a crash leaves its lock and admin.json behind.
  const again = await npmStart();
  expect(await logsIn(again.c2sPort, "alice")).toBe("alice@localhost/r");
  process.kill(again.serverPid, "SIGKILL");
  await again.exited;
  expect(existsSync(join(dataDir, "xmppd.lock"))).toBe(true);

  // No server: the CLI takes over the stale lock and writes the data directory itself.
  expect(await register("bob")).toBe("registered bob@localhost");
  const third = await npmStart();
  expect(await logsIn(third.c2sPort, "bob")).toBe("bob@localhost/r");
  expect(await logsIn(third.c2sPort, "alice")).toBe("alice@localhost/r");
  third.npm.kill("SIGTERM");
  expect(await third.exited).toBe(0);
});
