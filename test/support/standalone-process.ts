// `npm start` as a person runs it (dist/standalone.js, embedded: no NATS_URL, REDIS_URL or
// DATABASE_URL), in a data directory of its own on free ports, with its output kept; and the
// admin CLI (dist/admin.js) run against it as `npm run admin -- ...` would be.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, waitFor } from "@xmppd/testkit";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface StandaloneProcess {
  child: ChildProcess;
  dataDir: string;
  c2sPort: number;
  /** The environment of the server, for the admin CLI (same data directory). */
  env: Record<string, string>;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  /** Stops it with SIGTERM and removes its data directory. */
  stop(): Promise<void>;
}

export async function startStandalone(extraEnv: Record<string, string> = {}): Promise<StandaloneProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "xmppd-standalone-"));
  const [c2sPort, gwOps, routerOps, ampOps] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    XMPPD__dataDir: dataDir,
    XMPPD__gateway__host: "127.0.0.1",
    XMPPD__gateway__c2sPort: String(c2sPort),
    XMPPD__gateway__tlsPort: "0",
    XMPPD__gateway__httpsPort: "0",
    XMPPD__gateway__httpPort: "0",
    XMPPD__gateway__ops__port: String(gwOps),
    XMPPD__router__ops__port: String(routerOps),
    XMPPD__amp__ops__port: String(ampOps),
    ...extraEnv,
  };
  for (const k of ["NATS_URL", "REDIS_URL", "DATABASE_URL", "AMP_DATABASE_URL", "XMPPD_CONFIG"]) delete env[k];
  const child = spawn(process.execPath, [join(ROOT, "dist/standalone.js")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  await waitFor(async () => child.exitCode !== null || (existsSync(join(dataDir, "admin.json")) && (await fetch(`http://127.0.0.1:${gwOps}/readyz`).then((r) => r.ok, () => false))), {
    timeoutMs: 60_000, intervalMs: 200, what: "standalone ready",
  });
  if (child.exitCode !== null) throw new Error(`the standalone exited with ${child.exitCode}:\n${out}`);
  return {
    child, dataDir, c2sPort, env,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface AdminResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the admin CLI with `env`; `stdin` is written to its standard input (a pipe), then closed. */
export function admin(env: Record<string, string>, args: string[], stdin = ""): Promise<AdminResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "dist/admin.js"), ...args], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
