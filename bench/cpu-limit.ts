// A CPU limit on one process, set the way Kubernetes sets a container's `resources.limits.cpu`:
// a CFS quota on a cgroup of its own. The AMP scaling benchmark gives each worker the same limit,
// so that what runs short is the workers' CPU, as in a cluster where they are pods among others,
// rather than this machine's two cores, which one unlimited worker and its Postgres already fill.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const PERIOD_US = 100_000;
const V1 = "/sys/fs/cgroup/cpu";
const V2 = "/sys/fs/cgroup";

/** Limits `pid` to `cores` CPUs; the returned function removes the group once the process is gone. */
export function limitCpu(pid: number, cores: number, label: string): () => void {
  const quota = String(Math.round(cores * PERIOD_US));
  let dir: string;
  if (existsSync(join(V1, "cpu.cfs_quota_us"))) {
    dir = join(V1, label);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
    writeFileSync(join(dir, "cpu.cfs_quota_us"), quota);
  } else if (existsSync(join(V2, "cgroup.controllers")) && readFileSync(join(V2, "cgroup.subtree_control"), "utf8").includes("cpu")) {
    dir = join(V2, label);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "cpu.max"), `${quota} ${PERIOD_US}`);
  } else {
    throw new Error("--worker-cpu needs a writable cgroup cpu controller (run as root on cgroup v1, or v2 with cpu enabled)");
  }
  writeFileSync(join(dir, "cgroup.procs"), String(pid));
  return () => {
    try {
      rmdirSync(dir);
    } catch {
      // Still has a process (it outlived the run): the group goes with the next reboot.
    }
  };
}
