// One server process a test owns and can crash on purpose: started in a process group of its own
// so that kill() takes its helpers with it (Postgres backends outlive a killed postmaster
// otherwise, and the next postmaster refuses their shared memory), started again with the same
// command, and killed when the test process exits however it exits.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { waitFor } from "./wait.ts";

export interface ManagedProcess {
  /** The running process's id, undefined while it is down. */
  readonly pid: number | undefined;
  /** The id of the process started last, running or not. */
  readonly lastPid: number;
  isRunning(): boolean;
  /** Starts the command again (no-op if running) and waits until `ready` says so. */
  start(): Promise<void>;
  /** SIGKILL to the whole process group, as a crash or an OOM kill would; resolves once it is gone. */
  kill(): Promise<void>;
  /** A polite stop (`signal`, SIGTERM by default), SIGKILL after `graceMs`. */
  stop(): Promise<void>;
}

export interface ManagedProcessOptions {
  command: string;
  args: readonly string[];
  /** What a failed start reports (a log tail). */
  describe: () => string;
  /** True once the server answers. */
  ready: () => Promise<boolean>;
  spawn?: Pick<SpawnOptions, "uid" | "gid" | "env" | "cwd">;
  /** Where its stdout and stderr go (appended, across restarts); nowhere if unset. */
  logFile?: string;
  stopSignal?: NodeJS.Signals;
  startTimeoutMs?: number;
  graceMs?: number;
}

const live = new Set<number>();
let hooked = false;

/** Kills every group still alive when this process exits: a test that throws before stop() leaks nothing. */
function killAllOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.once("exit", () => {
    for (const pid of live) killGroup(pid, "SIGKILL");
  });
}

function killProcess(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export async function startManagedProcess(o: ManagedProcessOptions): Promise<ManagedProcess> {
  killAllOnExit();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  async function start(): Promise<void> {
    if (running()) return;
    const out = o.logFile === undefined ? "ignore" : openSync(o.logFile, "a");
    const c = spawn(o.command, o.args, { ...o.spawn, detached: true, stdio: ["ignore", out, out] });
    if (typeof out === "number") closeSync(out);
    child = c;
    const pid = c.pid;
    exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    if (pid === undefined) throw new Error(`could not start ${o.command}`);
    live.add(pid);
    void exited.then(() => live.delete(pid));
    try {
      await waitFor(async () => {
        if (!running()) throw new Error(`${o.command} exited with ${c.exitCode ?? c.signalCode}`);
        return o.ready();
      }, { timeoutMs: o.startTimeoutMs ?? 20_000, intervalMs: 50, what: `${o.command} to accept connections` });
    } catch (err) {
      killGroup(pid, "SIGKILL");
      await exited;
      throw new Error(`${o.command} did not start: ${o.describe()}`, { cause: err });
    }
  }

  async function signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const pid = child?.pid;
    if (pid === undefined) return;
    const below = running() ? tree(pid) : [];
    // Leaves first: a backend that saw its postmaster die first would say goodbye, which no crash does.
    if (signal === "SIGKILL") for (const p of [...below].reverse()) killProcess(p);
    if (running()) killGroup(pid, signal);
    await exited;
    // The leader is gone; its stragglers (Postgres backends) go the same way.
    killGroup(pid, "SIGKILL");
    for (const p of below) killProcess(p);
    await waitFor(() => !anyAlive(below), { timeoutMs: 10_000, intervalMs: 20, what: `${o.command}'s processes to exit` });
  }

  await start();
  return {
    get pid() {
      return running() ? child?.pid : undefined;
    },
    get lastPid() {
      return child!.pid!;
    },
    isRunning: running,
    start,
    kill: () => signalAndWait("SIGKILL"),
    async stop() {
      const pid = child?.pid;
      const timer = pid === undefined ? undefined : setTimeout(() => killGroup(pid, "SIGKILL"), o.graceMs ?? 10_000);
      try {
        await signalAndWait(o.stopSignal ?? "SIGTERM");
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
}

function processes(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.push({ pid: Number(entry), state: state ?? "", ppid: Number(ppid) });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** `pid` and every process below it (Postgres backends call setsid(), so a group kill misses them). */
function tree(pid: number): number[] {
  const all = processes();
  const found = [pid];
  for (let i = 0; i < found.length; i++) for (const p of all) if (p.ppid === found[i]) found.push(p.pid);
  return found;
}

/** Whether any of `pids` is still alive (zombies wait for a reaper, not for us). */
function anyAlive(pids: readonly number[]): boolean {
  const wanted = new Set(pids);
  return processes().some((p) => wanted.has(p.pid) && p.state !== "Z" && p.state !== "X");
}
