// What ejabberd and Prosody share as bench targets: one server process (its helpers counted with
// it), accounts made by in-band registration, and a throwaway directory removed at the end.
import { rmSync } from "node:fs";
import type { ManagedProcess } from "../../packages/testkit/src/managed-process.ts";
import { processTree } from "../procs.ts";
import { registerUsers, type Target } from "../target.ts";

export function foreignTarget(name: string, label: string, proc: ManagedProcess, dir: string, port: number): Target {
  let made = 0;
  const t: Target = {
    name,
    host: "127.0.0.1",
    ports: [port],
    domain: "localhost",
    async processes() {
      return proc.pid === undefined ? [] : processTree(proc.pid).map((pid) => ({ label: pid === proc.pid ? label : "helper", pid }));
    },
    serviceProcesses: () => (proc.pid === undefined ? [] : [{ label, pid: proc.pid }]),
    async addUsers(n) {
      if (n > made) await registerUsers(t, made, n);
      made = Math.max(made, n);
    },
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
