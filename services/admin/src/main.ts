// `npm run admin -- <command>`: the admin CLI process.
import { loadConfig } from "@xmppd/config";
import { openAdminOps, openServerOps } from "./backend.ts";
import { runCli } from "./cli.ts";
import { readPassword } from "./password-input.ts";

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  open: async () => openAdminOps(loadConfig()),
  openCluster: async () => openServerOps(loadConfig()),
  env: process.env,
  password: () => readPassword({ input: process.stdin, output: process.stderr }),
  progress: process.stderr,
});
process.exitCode = code;
