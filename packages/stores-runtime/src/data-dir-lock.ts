// One process owns an embedded data directory: PGlite has no locking of its own, and two
// processes writing the same files lose each other's commits. ${dataDir}/xmppd.lock names the
// owner (pid, and on Linux the process's start time, so that a pid reused after a crash or a
// container restart, where the server is often pid 1 again, does not pass for the owner). A lock
// whose process is gone is taken over; a live one is an error that names it.
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LockHolder {
  pid: number;
  /** What holds it: "standalone", "admin". */
  owner: string;
  /** /proc/<pid>/stat start time (clock ticks since boot); absent where /proc is not. */
  started?: string;
}

export class DataDirLockedError extends Error {
  override readonly name = "DataDirLockedError";
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(`data directory ${dataDir} is in use by ${holder.owner} (pid ${holder.pid}): one process at a time owns it; stop that process first or use another dataDir`);
  }
}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

export function lockFilePath(dataDir: string): string {
  return join(dataDir, "xmppd.lock");
}

/** Takes the lock for this process or throws DataDirLockedError naming the live owner. */
export function lockDataDir(dataDir: string, owner: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = lockFilePath(dataDir);
  const mine = JSON.stringify({ pid: process.pid, owner, started: startTime(process.pid) } satisfies LockHolder);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, mine, { mode: 0o644 });
  try {
    // A few rounds: each lost one means another process took over a stale lock meanwhile.
    for (let round = 0; round < 5; round++) {
      try {
        // link() is atomic and fails if the name exists: of two starters, exactly one wins.
        linkSync(tmp, path);
        return { path, release: () => releaseIfMine(path, mine) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const raw = readOrNull(path);
      if (raw === null) continue;
      const holder = parseHolder(raw);
      if (holder && isAlive(holder)) throw new DataDirLockedError(dataDir, holder);
      removeStale(path, raw);
    }
    throw new Error(`could not lock ${dataDir}: ${path} keeps changing hands`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The live process holding the directory, if any (without taking it). */
export function dataDirHolder(dataDir: string): LockHolder | null {
  const raw = readOrNull(lockFilePath(dataDir));
  const holder = raw === null ? null : parseHolder(raw);
  return holder && isAlive(holder) ? holder : null;
}

/**
 * Moves the stale file aside before deleting it: if another process replaced it in between
 * (it found the same stale lock and took over first), what we moved is its live lock, and it
 * goes back.
 */
function removeStale(path: string, raw: string): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (readOrNull(aside) !== raw) {
    try {
      linkSync(aside, path);
    } catch {
      // Someone else holds it now; the next round reads who.
    }
  }
  rmSync(aside, { force: true });
}

function releaseIfMine(path: string, mine: string): void {
  if (readOrNull(path) === mine) rmSync(path, { force: true });
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

function parseHolder(raw: string): LockHolder | null {
  try {
    const h = JSON.parse(raw) as Partial<LockHolder>;
    return typeof h.pid === "number" && Number.isInteger(h.pid) && h.pid > 0 ? { pid: h.pid, owner: String(h.owner ?? "another process"), started: h.started } : null;
  } catch {
    // Unreadable (a disk filled mid-write): nobody can be shown to own it.
    return null;
  }
}

function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // Same pid, other process: the recorded start time tells them apart where /proc exists.
  const now = startTime(holder.pid);
  return holder.started === undefined || now === undefined || now === holder.started;
}

/** Field 22 of /proc/<pid>/stat (after the command name, which may hold spaces and parentheses). */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
