// `npm run admin -- <command>`: the admin CLI process.
import { loadConfig } from "@xmppd/config";
import { openAdminOps } from "./backend.ts";
import { runCli } from "./cli.ts";
import { openClusterOps } from "./cluster-ops.ts";

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  open: async () => openAdminOps(loadConfig()),
  openCluster: async () => openClusterOps(loadConfig()),
  env: process.env,
  progress: process.stderr,
});
process.exitCode = code;
