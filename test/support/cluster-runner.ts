// `npm run cluster` (scripts/cluster.ts) as a child process, for the tests that use it as a
// developer would: started, read from its output (pids, ports, the environment for the admin
// CLI), stopped with a signal.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { ensureServices, waitFor } from "@xmppd/testkit";
import { ROOT } from "../../scripts/cluster/processes.ts";

export interface RunningCluster {
  child: ChildProcess;
  pids: number[];
  c2sPorts: number[];
  databaseUrl: string;
  /** The variables the runner prints for the admin CLI. */
  adminEnv: Record<string, string>;
  output(): string;
  exited: Promise<number | null>;
}

export async function startRunner(args: string[]): Promise<RunningCluster> {
  await ensureServices();
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "scripts/cluster.ts"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  await waitFor(() => out.includes("ready; Ctrl-C stops every process") || child.exitCode !== null, { timeoutMs: 90_000, intervalMs: 100 });
  if (child.exitCode !== null) throw new Error(`the runner exited with ${child.exitCode}:\n${out}`);
  const exports = /^ {2}export (.*)$/m.exec(out)?.[1] ?? "";
  return {
    child,
    pids: [...out.matchAll(/^ {2}\S+\s+pid (\d+)/gm)].map((m) => Number(m[1])),
    c2sPorts: [...out.matchAll(/c2s 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])),
    databaseUrl: /database (\S+)/.exec(out)?.[1] as string,
    adminEnv: Object.fromEntries([...exports.matchAll(/(\w+)=('[^']*'|\S+)/g)].map((m) => [m[1], (m[2] as string).replace(/^'|'$/g, "")])),
    output: () => out,
    exited,
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, as Ctrl-C would; SIGKILL only if it has not exited after timeoutMs. Resolves with its exit code. */
export async function stopRunner(r: RunningCluster, timeoutMs = 30_000): Promise<number | null> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGTERM");
  const timer = setTimeout(() => r.child.kill("SIGKILL"), timeoutMs);
  const code = await r.exited;
  clearTimeout(timer);
  return code;
}
