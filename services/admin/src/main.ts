// `npm run admin -- <command>`: the admin CLI process.
import { loadConfig } from "@xmppd/config";
import { openAdminOps } from "./backend.ts";
import { runCli } from "./cli.ts";

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  open: async () => openAdminOps(loadConfig()),
});
process.exitCode = code;
