// ${dataDir}/admin.json: where a running embedded standalone tells the CLI how to reach it.
// Mode 0600: the token is as good as database access.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface AdminFile {
  url: string;
  token: string;
  pid: number;
}

export function adminFilePath(dataDir: string): string {
  return join(dataDir, "admin.json");
}

export function writeAdminFile(dataDir: string, content: AdminFile): void {
  const path = adminFilePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(content), { mode: 0o600 });
  renameSync(tmp, path);
}

export function removeAdminFile(dataDir: string): void {
  rmSync(adminFilePath(dataDir), { force: true });
}

/** The file of a standalone that is still running; a file left by a dead process is ignored. */
export function readLiveAdminFile(dataDir: string): AdminFile | null {
  const path = adminFilePath(dataDir);
  if (!existsSync(path)) return null;
  let content: AdminFile;
  try {
    content = JSON.parse(readFileSync(path, "utf8")) as AdminFile;
  } catch {
    return null;
  }
  return isAlive(content.pid) ? content : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
