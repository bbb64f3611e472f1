import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configSchema } from "@xmppd/config";
import { DataDirLockedError, dataDirHolder, lockDataDir, lockFilePath } from "./data-dir-lock.ts";
import { openDatabases } from "./databases.ts";

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "data-dir-lock-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited (and been reaped): nothing runs under it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("the data directory lock", () => {
  it("lets one holder in and names it to the next, until it is released", () => {
    const dir = tempDir();
    const lock = lockDataDir(dir, "standalone");
    expect(dataDirHolder(dir)).toMatchObject({ pid: process.pid, owner: "standalone" });
    let refused: unknown;
    try {
      lockDataDir(dir, "admin");
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as Error).message).toBe(`data directory ${dir} is in use by standalone (pid ${process.pid}): one process at a time owns it; stop that process first or use another dataDir`);
    lock.release();
    expect(existsSync(lockFilePath(dir))).toBe(false);
    expect(dataDirHolder(dir)).toBeNull();
    lockDataDir(dir, "admin").release();
  });

  it("takes over the lock of a process that is gone", () => {
    const dir = tempDir();
    const pid = deadPid();
    writeFileSync(lockFilePath(dir), JSON.stringify({ pid, owner: "standalone" }));
    expect(dataDirHolder(dir)).toBeNull();
    const lock = lockDataDir(dir, "standalone");
    expect(JSON.parse(readFileSync(lockFilePath(dir), "utf8"))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it.runIf(existsSync("/proc/self/stat"))("takes over a lock whose pid now belongs to another process (a container restarted: the server is pid 1 again)", () => {
    const dir = tempDir();
    // Our own pid, recorded with another start time: the process that wrote it is not us.
    writeFileSync(lockFilePath(dir), JSON.stringify({ pid: process.pid, owner: "standalone", started: "1" }));
    lockDataDir(dir, "standalone").release();
  });

  it("takes over an unreadable lock file and does not remove a lock that is not its own", () => {
    const dir = tempDir();
    writeFileSync(lockFilePath(dir), "{not json");
    const lock = lockDataDir(dir, "admin");
    const other = JSON.stringify({ pid: process.pid, owner: "someone" });
    writeFileSync(lockFilePath(dir), other);
    lock.release();
    expect(readFileSync(lockFilePath(dir), "utf8")).toBe(other);
  });

  it("is held by an embedded database from open to close: a second open of the same dataDir fails at once", async () => {
    const config = configSchema.parse({ dataDir: tempDir() });
    const first = await openDatabases(config, { amp: true, owner: "standalone" });
    await expect(openDatabases(config, { amp: true, owner: "admin" })).rejects.toThrow(`is in use by standalone (pid ${process.pid})`);
    await first.close();
    const second = await openDatabases(config, { amp: true, owner: "admin" });
    await second.close();
  }, 90_000);
});
